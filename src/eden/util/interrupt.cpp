// The handler only records the first signal; a second restores the default action and re-raises.
#include "eden/util/interrupt.h"

#include <signal.h>

#include <atomic>
#include <cstring>

namespace eden {
namespace {

std::atomic<int> g_requested{0};

void on_stop_signal(int sig) {
  if (g_requested.load() != 0) {  // the second signal: end now (async-signal-safe calls only)
    ::signal(sig, SIG_DFL);
    ::raise(sig);  // delivered with the default action when this handler returns
    return;
  }
  g_requested.store(sig);
}

}  // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_stop_signal;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = SA_RESTART;  // reads and waits resume; the flag is polled between steps
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
}

int interrupt_requested() {
  return g_requested.load();
}

void clear_interrupt() {
  g_requested.store(0);
}

std::string signal_name(int signal) {
  if (signal == SIGINT) return "SIGINT";
  if (signal == SIGTERM) return "SIGTERM";
  return "signal " + std::to_string(signal);
}

}  // namespace eden
