// fork/exec of the local ranks; a signal handler only records the signal, the wait loop acts.
#include "eden/dist/launcher.h"

#include <fmt/format.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <thread>

#include "eden/util/check.h"

extern char** environ;

namespace eden::dist {
namespace {

std::atomic<int> g_signal{0};

void record_signal(int sig) {
  g_signal.store(sig);
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) {
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
  }
  return "stopped";
}

int exit_code_of(int status) {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return 1;
}

}  // namespace

void parse_master(const std::string& text, LaunchOptions& options) {
  const auto colon = text.rfind(':');
  const std::string addr = colon == std::string::npos ? text : text.substr(0, colon);
  if (!addr.empty()) options.master_addr = addr;
  if (colon == std::string::npos) return;
  const std::string port = text.substr(colon + 1);
  char* end = nullptr;
  const long p = std::strtol(port.c_str(), &end, 10);
  EDEN_CHECK(!port.empty() && *end == '\0' && p >= 1 && p <= 65535, "--master ", text,
             ": the port '", port, "' is not a TCP port (1-65535); hint: --master 10.0.0.1:29500");
  options.master_port = static_cast<uint16_t>(p);
}

std::vector<std::string> rank_environment(const LaunchOptions& o, int local_rank) {
  const int world = o.nproc * o.nnodes;
  const int rank = o.node_rank * o.nproc + local_rank;
  return {
      fmt::format("RANK={}", rank),
      fmt::format("WORLD_SIZE={}", world),
      fmt::format("LOCAL_RANK={}", local_rank),
      fmt::format("LOCAL_WORLD_SIZE={}", o.nproc),
      fmt::format("GROUP_RANK={}", o.node_rank),
      fmt::format("GROUP_WORLD_SIZE={}", o.nnodes),
      fmt::format("ROLE_RANK={}", rank),
      fmt::format("ROLE_WORLD_SIZE={}", world),
      "ROLE_NAME=default",
      fmt::format("MASTER_ADDR={}", o.master_addr),
      fmt::format("MASTER_PORT={}", o.master_port),
      "TORCHELASTIC_RESTART_COUNT=0",
      "TORCHELASTIC_MAX_RESTARTS=0",
      "TORCHELASTIC_RUN_ID=none",
      // eden launch hosts no store: rank 0 starts it, as with torchrun 1.x.
      "TORCHELASTIC_USE_AGENT_STORE=False",
  };
}

namespace {

/// This process's environment with `overrides` ("NAME=value") replacing entries of the same
/// name; OMP_NUM_THREADS=1 added when unset and nproc > 1, as torchrun does.
std::vector<std::string> child_environment(const std::vector<std::string>& overrides, int nproc) {
  auto name_of = [](const std::string& kv) { return kv.substr(0, kv.find('=')); };
  std::vector<std::string> out;
  bool omp_set = false;
  for (char** e = environ; *e != nullptr; ++e) {
    const std::string kv = *e;
    const std::string name = name_of(kv);
    omp_set = omp_set || name == "OMP_NUM_THREADS";
    bool replaced = false;
    for (const auto& o : overrides) replaced = replaced || name_of(o) == name;
    if (!replaced) out.push_back(kv);
  }
  out.insert(out.end(), overrides.begin(), overrides.end());
  if (!omp_set && nproc > 1) out.emplace_back("OMP_NUM_THREADS=1");
  return out;
}

}  // namespace

int launch(const LaunchOptions& o, const std::string& program,
           const std::vector<std::string>& args) {
  EDEN_CHECK(o.nproc >= 1, "--nproc must be >= 1, got ", o.nproc);
  EDEN_CHECK(o.nnodes >= 1, "--nnodes must be >= 1, got ", o.nnodes);
  EDEN_CHECK(o.node_rank >= 0 && o.node_rank < o.nnodes, "--node-rank ", o.node_rank,
             " is not below --nnodes ", o.nnodes);
  struct sigaction sa {};
  sa.sa_handler = record_signal;
  sigemptyset(&sa.sa_mask);
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &sa, &old_int);
  sigaction(SIGTERM, &sa, &old_term);

  std::vector<pid_t> pids;
  const pid_t parent = getpid();
  for (int local = 0; local < o.nproc; ++local) {
    std::vector<std::string> env_strings = child_environment(rank_environment(o, local), o.nproc);
    std::vector<char*> envp;
    for (auto& v : env_strings) envp.push_back(v.data());
    envp.push_back(nullptr);
    std::vector<std::string> argv_strings{program};
    argv_strings.insert(argv_strings.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (auto& a : argv_strings) argv.push_back(a.data());
    argv.push_back(nullptr);
    std::fflush(nullptr);
    const pid_t pid = fork();
    if (pid < 0) {
      const int err = errno;
      for (pid_t p : pids) kill(p, SIGKILL);
      throw Error(fmt::format("eden launch: cannot start rank {}: {}", local, std::strerror(err)));
    }
    if (pid == 0) {
      signal(SIGINT, SIG_DFL);
      signal(SIGTERM, SIG_DFL);
      // Its own process group: a terminal's Ctrl-C reaches the launcher only, which forwards it
      // once (a rank seeing it twice would take it as "end at once"). If the launcher dies, the
      // ranks get SIGTERM and stop at a step boundary instead of running on orphaned.
      setpgid(0, 0);
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(128 + SIGTERM);  // it died before prctl took effect
      execve(program.c_str(), argv.data(), envp.data());
      std::fprintf(stderr, "eden launch: cannot run %s: %s\n", program.c_str(),
                   std::strerror(errno));
      _exit(127);
    }
    pids.push_back(pid);
    std::fprintf(stderr, "eden launch: rank %d started (pid %d)\n", o.node_rank * o.nproc + local,
                 static_cast<int>(pid));
  }

  const int base_rank = o.node_rank * o.nproc;
  std::vector<bool> running(pids.size(), true);
  size_t left = pids.size();
  int result = 0;
  bool stopping = false;
  auto deadline = std::chrono::steady_clock::time_point::max();
  auto stop_all = [&](int sig) {
    for (size_t i = 0; i < pids.size(); ++i) {
      if (running[i]) kill(pids[i], sig);
    }
  };
  while (left > 0) {
    if (const int sig = g_signal.exchange(0); sig != 0) {
      std::fprintf(stderr, "eden launch: %s: forwarding it to the ranks\n", strsignal(sig));
      stop_all(sig);
      if (!stopping) {
        stopping = true;
        result = 128 + sig;
        deadline = std::chrono::steady_clock::now() + o.grace;
      }
    }
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid > 0) {
      for (size_t i = 0; i < pids.size(); ++i) {
        if (pids[i] != pid || !running[i]) continue;
        running[i] = false;
        --left;
        const bool failed = !(WIFEXITED(status) && WEXITSTATUS(status) == 0);
        if (failed && !stopping) {
          std::fprintf(stderr, "eden launch: rank %d (pid %d) %s; stopping the other ranks\n",
                       base_rank + static_cast<int>(i), static_cast<int>(pid),
                       describe_status(status).c_str());
          result = exit_code_of(status);
          stopping = true;
          stop_all(SIGTERM);
          deadline = std::chrono::steady_clock::now() + o.grace;
        }
      }
      continue;
    }
    if (std::chrono::steady_clock::now() > deadline) {
      std::fprintf(stderr, "eden launch: ranks still running %lld ms after the stop: SIGKILL\n",
                   static_cast<long long>(o.grace.count()));
      stop_all(SIGKILL);
      deadline = std::chrono::steady_clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  return result;
}

}  // namespace eden::dist
