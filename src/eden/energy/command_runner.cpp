// fork/exec/wait4 of a measured command, with exec failures reported through a CLOEXEC pipe.
#include "eden/energy/command_runner.h"

#include <fcntl.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <utility>

#include <fmt/format.h>

#include "eden/energy/process_usage.h"
#include "eden/util/check.h"

namespace eden::energy {
namespace {

// Ignores SIGINT and SIGQUIT for its lifetime (what shells and time(1) do while a child runs).
class IgnoreInterrupts {
 public:
  IgnoreInterrupts() {
    struct sigaction ignore {};
    ignore.sa_handler = SIG_IGN;
    sigemptyset(&ignore.sa_mask);
    sigaction(SIGINT, &ignore, &old_int_);
    sigaction(SIGQUIT, &ignore, &old_quit_);
  }
  ~IgnoreInterrupts() {
    sigaction(SIGINT, &old_int_, nullptr);
    sigaction(SIGQUIT, &old_quit_, nullptr);
  }
  IgnoreInterrupts(const IgnoreInterrupts&) = delete;
  IgnoreInterrupts& operator=(const IgnoreInterrupts&) = delete;

 private:
  struct sigaction old_int_ {};
  struct sigaction old_quit_ {};
};

double seconds(const timeval& tv) {
  return tv.tv_sec + tv.tv_usec * 1e-6;
}

}  // namespace

CommandRun run_measured_command(const std::vector<std::string>& argv, MonitorOptions options) {
  EDEN_CHECK(!argv.empty(), "[measure] no command given; hint: eden measure -- COMMAND ARGS...");
  auto process = ProcessScope::children();
  options.meters.process = process;
  EnergyMonitor monitor(std::move(options));

  // Everything the child needs is prepared before fork: after it, only async-signal-safe calls.
  std::vector<char*> c_argv;
  c_argv.reserve(argv.size() + 1);
  for (const auto& arg : argv) c_argv.push_back(const_cast<char*>(arg.c_str()));
  c_argv.push_back(nullptr);
  int exec_pipe[2];
  EDEN_CHECK(pipe2(exec_pipe, O_CLOEXEC) == 0, "[measure] pipe2 failed: ", std::strerror(errno));

  CommandRun run;
  monitor.begin_window("command");
  const pid_t pid = fork();
  if (pid < 0) {
    const int error = errno;
    close(exec_pipe[0]);
    close(exec_pipe[1]);
    throw Error(
        fmt::format("[measure] cannot fork to run '{}': {}; hint: too many processes or "
                    "not enough memory?",
                    argv[0], std::strerror(error)));
  }
  if (pid == 0) {
    close(exec_pipe[0]);
    execvp(c_argv[0], c_argv.data());
    const int error = errno;
    [[maybe_unused]] ssize_t written = write(exec_pipe[1], &error, sizeof error);
    _exit(kCannotExecuteStatus);
  }
  process->set_live_child(pid);
  IgnoreInterrupts ignore_interrupts;
  close(exec_pipe[1]);

  // The pipe closes on a successful exec; it carries errno when exec fails.
  int exec_errno = 0;
  ssize_t n = 0;
  do {
    n = read(exec_pipe[0], &exec_errno, sizeof exec_errno);
  } while (n < 0 && errno == EINTR);
  close(exec_pipe[0]);

  int status = 0;
  rusage usage{};
  pid_t waited = 0;
  do {
    waited = wait4(pid, &status, 0, &usage);
  } while (waited < 0 && errno == EINTR);
  process->set_live_child(0);
  run.measurement = monitor.end_window("command");
  run.timeline = monitor.take_power_timeline();
  run.warnings = monitor.warnings();
  run.monitor = monitor.describe();
  EDEN_CHECK(waited == pid, "[measure] wait4 for '", argv[0], "' failed: ", std::strerror(errno));

  if (n == static_cast<ssize_t>(sizeof exec_errno)) {
    run.exit_status = kCannotExecuteStatus;
    run.exec_error = fmt::format("cannot execute '{}': {}", argv[0], std::strerror(exec_errno));
    return run;
  }
  run.child_cpu_time_s = seconds(usage.ru_utime) + seconds(usage.ru_stime);
  run.child_max_rss_bytes = usage.ru_maxrss * 1024.0;  // ru_maxrss is in KiB on Linux
  if (WIFEXITED(status)) {
    run.exit_status = WEXITSTATUS(status);
  } else if (WIFSIGNALED(status)) {
    run.exit_status = 128 + WTERMSIG(status);
  }
  return run;
}

}  // namespace eden::energy
