// Cost of energy measurement: median time of EnergyMonitor::poll() (what the sampler thread does
// every period) and of a begin/end window pair, and the resulting share of one core.
// Build: cmake -DEDEN_BUILD_BENCHMARKS=ON; run: build/bench_energy_overhead [period_ms]
#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "eden/energy/monitor.h"

namespace {

template <typename F>
double median_us(int repeats, F&& f) {
  std::vector<double> t;
  t.reserve(repeats);
  for (int i = 0; i < repeats; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    f();
    t.push_back(
        std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(t.begin(), t.begin() + repeats / 2, t.end());
  return t[repeats / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const double period_ms = argc > 1 ? std::atof(argv[1]) : 100.0;
  eden::energy::MonitorOptions options;
  options.sample_period_s = 0;  // no thread: we call poll() ourselves
  options.print_warnings = false;
  eden::energy::EnergyMonitor monitor(options);
  for (int i = 0; i < 100; ++i) monitor.poll();  // warm-up
  monitor.take_power_timeline();
  const double poll_us = median_us(2000, [&] { monitor.poll(); });
  const double window_us = median_us(2000, [&] {
    monitor.begin_window("w");
    monitor.end_window("w");
  });
  std::string meters;
  for (const auto& c : monitor.components()) meters += " " + c.key() + "(" + c.method + ")";
  fmt::print("components:{}\n", meters);
  fmt::print("poll(): median {:.1f} us; begin+end window: median {:.1f} us\n", poll_us, window_us);
  fmt::print("sampler at {} ms: {:.4f}% of one core\n", period_ms,
             100.0 * poll_us / (period_ms * 1e3));
  return 0;
}
