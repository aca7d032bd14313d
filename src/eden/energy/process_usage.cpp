// Reads CPU time (getrusage, /proc/PID/stat) and resident memory (/proc) of measured processes.
#include "eden/energy/process_usage.h"

#include <sys/resource.h>
#include <sys/time.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <vector>

namespace eden::energy {
namespace {

double to_seconds(const timeval& tv) {
  return tv.tv_sec + tv.tv_usec * 1e-6;
}

double rusage_cpu_time_s(int who) {
  rusage usage{};
  if (getrusage(who, &usage) != 0) return 0.0;
  return to_seconds(usage.ru_utime) + to_seconds(usage.ru_stime);
}

double page_size_bytes() {
  return static_cast<double>(sysconf(_SC_PAGESIZE));
}

}  // namespace

std::optional<ProcStat> parse_proc_stat(const std::string& text) {
  // Field 2 (comm) may contain spaces and parentheses: fields resume after the last ')'.
  const auto close = text.rfind(')');
  if (close == std::string::npos) return std::nullopt;
  std::istringstream in(text.substr(close + 1));
  std::vector<std::string> fields;  // fields[0] is field 3 (state)
  for (std::string field; in >> field && fields.size() < 22;) fields.push_back(field);
  if (fields.size() < 22) return std::nullopt;
  try {
    const double ticks_per_s = static_cast<double>(sysconf(_SC_CLK_TCK));
    auto field = [&](int number) { return std::stod(fields.at(number - 3)); };
    ProcStat stat;
    stat.cpu_time_s = (field(14) + field(15)) / ticks_per_s;
    stat.children_cpu_time_s = (field(16) + field(17)) / ticks_per_s;
    stat.resident_bytes = field(24) * page_size_bytes();
    return stat;
  } catch (const std::exception&) {
    return std::nullopt;
  }
}

std::optional<ProcStat> read_proc_stat(pid_t pid) {
  std::ifstream file("/proc/" + std::to_string(pid) + "/stat");
  if (!file) return std::nullopt;
  std::stringstream text;
  text << file.rdbuf();
  return parse_proc_stat(text.str());
}

std::shared_ptr<ProcessScope> ProcessScope::self() {
  return std::shared_ptr<ProcessScope>(new ProcessScope(false));
}

std::shared_ptr<ProcessScope> ProcessScope::children() {
  return std::shared_ptr<ProcessScope>(new ProcessScope(true));
}

std::string ProcessScope::describe() const {
  return children_ ? "child processes (CPU time of reaped children + the live child)"
                   : "this process (all threads)";
}

double ProcessScope::cpu_time_s() const {
  if (!children_) return rusage_cpu_time_s(RUSAGE_SELF);
  // Reaped first, then the live child: a child reaped in between is missed for one reading
  // (callers keep readings monotonic) rather than counted twice.
  double cpu_s = rusage_cpu_time_s(RUSAGE_CHILDREN);
  const pid_t pid = live_child_.load();
  if (pid > 0) {
    if (auto stat = read_proc_stat(pid)) cpu_s += stat->cpu_time_s + stat->children_cpu_time_s;
  }
  return cpu_s;
}

double ProcessScope::resident_bytes() const {
  if (children_) {
    const pid_t pid = live_child_.load();
    if (pid <= 0) return 0.0;
    auto stat = read_proc_stat(pid);
    return stat ? stat->resident_bytes : 0.0;
  }
  std::ifstream statm("/proc/self/statm");
  double size_pages = 0.0;
  double resident_pages = 0.0;
  if (!(statm >> size_pages >> resident_pages)) return 0.0;
  return resident_pages * page_size_bytes();
}

}  // namespace eden::energy
