// Child processes for tests that signal or race the `eden` binary: start a shell command with
// its output in a file, wait for a file to appear, wait for the exit and decode the status.
#pragma once

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

namespace eden::testing {

/// Starts `/bin/sh -c "exec env CMD > LOG 2>&1"` (CMD may begin with VAR=value settings): the
/// pid is the command's own, through exec.
inline pid_t spawn(const std::string& cmd, const std::filesystem::path& log) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    const std::string line = "exec env " + cmd + " > '" + log.string() + "' 2>&1";
    ::execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  return pid;
}

/// Polls until `path` exists; false after `timeout`.
inline bool wait_for_file(const std::filesystem::path& path,
                          std::chrono::milliseconds timeout = std::chrono::seconds(120)) {
  const auto end = std::chrono::steady_clock::now() + timeout;
  while (!std::filesystem::exists(path)) {
    if (std::chrono::steady_clock::now() > end) return false;
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  return true;
}

struct ExitStatus {
  int code = -1;   // the exit code when the process exited
  int signal = 0;  // the signal that ended it, 0 when it exited
  double seconds = 0.0;
};

/// Waits for `pid` to end.
inline ExitStatus wait_exit(pid_t pid) {
  const auto t0 = std::chrono::steady_clock::now();
  int st = 0;
  ::waitpid(pid, &st, 0);
  ExitStatus e;
  if (WIFEXITED(st)) e.code = WEXITSTATUS(st);
  if (WIFSIGNALED(st)) e.signal = WTERMSIG(st);
  e.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return e;
}

inline std::string file_text(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace eden::testing
