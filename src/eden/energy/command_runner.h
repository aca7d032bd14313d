// Runs a command as a child process inside one measurement window ("eden measure"): the
// estimation models count the child's CPU time (wait4 / RUSAGE_CHILDREN), not EDEN's.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/energy/measurement.h"
#include "eden/energy/monitor.h"
#include "eden/energy/power_timeline.h"

namespace eden::energy {

/// Exit status when the command cannot be executed (as in POSIX shells).
constexpr int kCannotExecuteStatus = 127;

/// The outcome of run_measured_command.
struct CommandRun {
  /// The command's exit status; 128 + N when killed by signal N; 127 when it cannot be executed.
  int exit_status = 0;
  /// Empty when the command ran; otherwise why it could not be executed (no measurement then).
  std::string exec_error;
  Measurement measurement;  // window "command", from just before fork to just after wait
  PowerTimeline timeline;
  double child_cpu_time_s = 0.0;  // user + system of the command and its reaped descendants
  double child_max_rss_bytes = 0.0;
  std::vector<std::string> warnings;  // the monitor's
  nlohmann::json monitor;             // EnergyMonitor::describe()
};

/// Runs argv[0] (searched in PATH) with its arguments, inheriting stdin/stdout/stderr, and
/// measures it. SIGINT and SIGQUIT are ignored by EDEN while the command runs so that Ctrl-C
/// stops the command and the report is still printed. `options.meters.process` is replaced by a
/// ProcessScope::children(). Throws eden::Error if argv is empty or fork fails.
CommandRun run_measured_command(const std::vector<std::string>& argv, MonitorOptions options);

}  // namespace eden::energy
