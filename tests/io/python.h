// Running the system Python (/usr/bin/python3, which has Debian's torch and torchvision) from
// tests that compare against PyTorch. Tests skip, saying why, where those modules are missing.
#pragma once

#include <sys/wait.h>

#include <array>
#include <cstdio>
#include <string>

namespace eden::testing {

/// Debian's interpreter; the python3 first on PATH may be another one without torch.
inline const char* const kSystemPython = "/usr/bin/python3";

struct PythonResult {
  int status = -1;     ///< exit status, 128 + signal when killed
  std::string output;  ///< stdout and stderr
};

/// Runs `/usr/bin/python3 <args>` with one intra-op thread (tests share the CPU).
inline PythonResult run_python(const std::string& args) {
  const std::string cmd =
      std::string("OMP_NUM_THREADS=1 MKL_NUM_THREADS=1 ") + kSystemPython + " " + args + " 2>&1";
  PythonResult r;
  FILE* p = ::popen(cmd.c_str(), "r");
  if (p == nullptr) return r;
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

/// True when the system Python imports every module in `modules` ("torch, torchvision").
inline bool python_has(const std::string& modules) {
  return run_python("-c 'import " + modules + "'").status == 0;
}

/// Folder of the Python helpers beside the tests.
inline std::string test_script(const std::string& relative) {
  return std::string(EDEN_SOURCE_DIR) + "/tests/" + relative;
}

}  // namespace eden::testing
