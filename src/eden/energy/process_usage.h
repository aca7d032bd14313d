// CPU time and resident memory of the processes being measured (this process, or the children
// that `eden measure` runs): the inputs of the estimation models.
#pragma once

#include <sys/types.h>

#include <atomic>
#include <memory>
#include <optional>
#include <string>

namespace eden::energy {

/// Fields of /proc/PID/stat that the models use.
struct ProcStat {
  double cpu_time_s = 0.0;           // utime + stime, s
  double children_cpu_time_s = 0.0;  // cutime + cstime (reaped descendants), s
  double resident_bytes = 0.0;       // rss, bytes
};

/// Parses the text of /proc/PID/stat; nullopt when it is malformed.
std::optional<ProcStat> parse_proc_stat(const std::string& text);

/// Reads /proc/PID/stat; nullopt when the process is gone or the file is unreadable.
std::optional<ProcStat> read_proc_stat(pid_t pid);

/// Which processes the estimation models attribute CPU time and memory to. Thread-safe.
class ProcessScope {
 public:
  /// This process, all its threads (getrusage(RUSAGE_SELF), /proc/self/statm).
  static std::shared_ptr<ProcessScope> self();

  /// The children of this process: those already reaped (getrusage(RUSAGE_CHILDREN), which
  /// includes their own reaped descendants) plus the running child set by set_live_child().
  static std::shared_ptr<ProcessScope> children();

  bool is_children() const { return children_; }
  std::string describe() const;

  /// The child being run (0: none). Set it after fork(); reset it right after waiting for it.
  void set_live_child(pid_t pid) { live_child_.store(pid); }

  /// Cumulative user + system CPU time, s. Live children are read with /proc's 10 ms ticks.
  double cpu_time_s() const;

  /// Resident memory now, bytes (for children: the live child only, 0 when none).
  double resident_bytes() const;

 private:
  explicit ProcessScope(bool children) : children_(children) {}

  bool children_;
  std::atomic<pid_t> live_child_{0};
};

}  // namespace eden::energy
