// EnergyMonitor: named, nestable measurement windows over all meters of the machine, a sampler
// thread that keeps counters sound and records the power timeline.
#pragma once

#include <chrono>
#include <condition_variable>
#include <exception>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/energy/measurement.h"
#include "eden/energy/meter.h"
#include "eden/energy/meter_registry.h"
#include "eden/energy/power_timeline.h"

namespace eden::energy {

struct MonitorOptions {
  /// Sampler period, s: every meter is read this often (RAPL wraps, power integration, timeline).
  /// 0 starts no thread: call poll() yourself (tests).
  double sample_period_s = 0.1;
  /// Called before meters are read at window boundaries, so queued GPU work falls inside the
  /// window; the trainer passes [] { torch::cuda::synchronize(); }.
  std::function<void()> sync;
  /// Keep the power timeline (8 bytes per sample plus 4 per component and sample).
  bool keep_timeline = true;
  /// Print each meter warning (permission denied, unknown CPU, ...) once to stderr.
  bool print_warnings = true;
  /// Which meters to use (ignored by the constructor that takes meters).
  MeterOptions meters;
};

/// Measures energy in named windows, like Zeus's begin_window/end_window:
///
///   MonitorOptions options;
///   options.sync = [] { torch::cuda::synchronize(); };
///   EnergyMonitor monitor(options);
///   monitor.begin_window("epoch3.train");
///   ...                                          // windows may nest or overlap
///   Measurement m = monitor.end_window("epoch3.train");
///
/// Thread-safe. Errors of the sampler thread are stored and re-thrown (then cleared) by the next
/// call of begin_window, end_window or poll on the caller's thread.
class EnergyMonitor {
 public:
  /// Uses the meters create_meters(options.meters) chooses for this machine.
  explicit EnergyMonitor(MonitorOptions options = {});
  /// Uses the given meters (tests, custom sources).
  EnergyMonitor(std::vector<std::unique_ptr<Meter>> meters, MonitorOptions options);
  /// Stops the sampler; logs (never throws) a sampler error nobody collected.
  ~EnergyMonitor();
  EnergyMonitor(const EnergyMonitor&) = delete;
  EnergyMonitor& operator=(const EnergyMonitor&) = delete;

  /// Opens window `name`; throws eden::Error if a window of that name is open.
  void begin_window(const std::string& name);
  /// Closes window `name` and returns what it consumed; throws eden::Error if it is not open.
  Measurement end_window(const std::string& name);
  /// What window `name` has consumed so far, leaving it open (no sync: for journals written
  /// from another thread); nullopt when it is not open.
  std::optional<Measurement> peek_window(const std::string& name);
  /// Closes window `name` without a result (no-op if it is not open).
  void cancel_window(const std::string& name);
  bool is_window_open(const std::string& name) const;

  /// Reads every meter now and appends a timeline sample: what the sampler thread does each
  /// period. Throws what a meter throws.
  void poll();

  /// Seconds since the monitor started (the time base of windows and the timeline).
  double elapsed_s() const;

  /// Every component measured, in the order of Measurement::components.
  const std::vector<Component>& components() const { return components_; }
  /// A copy of the timeline so far.
  PowerTimeline power_timeline() const;
  /// The timeline so far, removed from the monitor (append it to power.csv each epoch to keep
  /// memory bounded).
  PowerTimeline take_power_timeline();

  const std::vector<std::string>& warnings() const { return warnings_; }
  const std::vector<MeterStatus>& meter_status() const { return status_; }
  /// Meters, their hardware and constants, status and warnings, for metrics.json.
  nlohmann::json describe() const;

 private:
  struct Snapshot {
    double time_s = 0.0;
    std::vector<double> energy_j;  // cumulative, per component
  };

  void start(std::vector<std::unique_ptr<Meter>> meters);
  Snapshot read_locked();
  /// What the meters counted since `begin`, as window `name`.
  Measurement since_locked(const std::string& name, const Snapshot& begin);
  void poll_locked();
  void rethrow_sampler_error_locked();
  void sampler_loop();

  MonitorOptions options_;
  std::chrono::steady_clock::time_point start_time_;
  std::vector<std::string> warnings_;
  std::vector<MeterStatus> status_;

  mutable std::mutex mutex_;  // guards everything below
  std::vector<std::unique_ptr<Meter>> meters_;
  std::vector<Component> components_;  // written once by the constructor
  std::map<std::string, Snapshot> windows_;
  bool polled_ = false;
  Snapshot last_poll_;
  PowerTimeline timeline_;
  std::exception_ptr sampler_error_;

  std::condition_variable wake_;
  bool stop_ = false;
  std::thread sampler_;
};

}  // namespace eden::energy
