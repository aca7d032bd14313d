// Measurement windows over a set of meters; the sampler thread and its error hand-over.
#include "eden/energy/monitor.h"

#include <algorithm>
#include <utility>

#include <fmt/format.h>

#include "eden/energy/rapl_meter.h"
#include "eden/util/check.h"

namespace eden::energy {

EnergyMonitor::EnergyMonitor(MonitorOptions options) : options_(std::move(options)) {
  MeterSet set = create_meters(options_.meters);
  warnings_ = std::move(set.warnings);
  status_ = std::move(set.status);
  start(std::move(set.meters));
}

EnergyMonitor::EnergyMonitor(std::vector<std::unique_ptr<Meter>> meters, MonitorOptions options)
    : options_(std::move(options)) {
  for (const auto& meter : meters) {
    EDEN_ASSERT(meter != nullptr);
    status_.push_back({meter->name(), true, "given by the caller"});
  }
  start(std::move(meters));
}

void EnergyMonitor::start(std::vector<std::unique_ptr<Meter>> meters) {
  EDEN_CHECK(options_.sample_period_s >= 0.0, "[monitor] sample period ", options_.sample_period_s,
             " s is negative; hint: use e.g. 0.1 (100 ms)");
  start_time_ = std::chrono::steady_clock::now();
  // The first read sets each meter's baseline; a meter that cannot even do that is dropped.
  for (auto& meter : meters) {
    try {
      meter->read_energy_j(0.0);
    } catch (const std::exception& e) {
      warnings_.push_back(
          fmt::format("[monitor] meter {} failed its first reading and is not "
                      "used: {}",
                      meter->name(), e.what()));
      for (auto& status : status_) {
        if (status.name == meter->name()) status = {meter->name(), false, e.what()};
      }
      continue;
    }
    if (auto* rapl = dynamic_cast<RaplMeter*>(meter.get());
        rapl != nullptr && options_.sample_period_s > rapl->max_safe_poll_period_s()) {
      warnings_.push_back(fmt::format(
          "[monitor] sample period {} s is longer than {:.3g} s, the longest that sees every "
          "RAPL counter wrap at 1 kW; hint: use a shorter period",
          options_.sample_period_s, rapl->max_safe_poll_period_s()));
    }
    const auto& components = meter->components();
    components_.insert(components_.end(), components.begin(), components.end());
    meters_.push_back(std::move(meter));
  }
  timeline_ = PowerTimeline(components_);
  if (options_.print_warnings) {
    for (const auto& warning : warnings_) fmt::print(stderr, "eden: warning: {}\n", warning);
  }
  {
    std::lock_guard<std::mutex> lock(mutex_);
    last_poll_ = read_locked();
    polled_ = true;
  }
  if (options_.sample_period_s > 0.0) sampler_ = std::thread([this] { sampler_loop(); });
}

EnergyMonitor::~EnergyMonitor() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stop_ = true;
  }
  wake_.notify_all();
  if (sampler_.joinable()) sampler_.join();
  if (sampler_error_) {
    try {
      std::rethrow_exception(sampler_error_);
    } catch (const std::exception& e) {
      fmt::print(stderr, "eden: warning: [monitor] energy sampler error never reported: {}\n",
                 e.what());
    } catch (...) {
      fmt::print(stderr, "eden: warning: [monitor] energy sampler error never reported\n");
    }
  }
}

double EnergyMonitor::elapsed_s() const {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_time_).count();
}

EnergyMonitor::Snapshot EnergyMonitor::read_locked() {
  Snapshot snapshot;
  snapshot.time_s = elapsed_s();
  snapshot.energy_j.reserve(components_.size());
  for (auto& meter : meters_) {
    const auto energy_j = meter->read_energy_j(snapshot.time_s);
    EDEN_ASSERT(energy_j.size() == meter->components().size(), "meter ", meter->name(),
                " returned ", energy_j.size(), " values for ", meter->components().size(),
                " components");
    snapshot.energy_j.insert(snapshot.energy_j.end(), energy_j.begin(), energy_j.end());
  }
  return snapshot;
}

void EnergyMonitor::poll_locked() {
  Snapshot now = read_locked();
  const double dt_s = now.time_s - last_poll_.time_s;
  if (options_.keep_timeline && polled_ && dt_s > 0.0) {
    std::vector<double> power_w(components_.size());
    for (std::size_t i = 0; i < power_w.size(); ++i) {
      power_w[i] = (now.energy_j[i] - last_poll_.energy_j[i]) / dt_s;
    }
    timeline_.append(now.time_s, power_w);
  }
  last_poll_ = std::move(now);
  polled_ = true;
}

void EnergyMonitor::rethrow_sampler_error_locked() {
  if (!sampler_error_) return;
  std::exception_ptr error = sampler_error_;
  sampler_error_ = nullptr;
  std::rethrow_exception(error);
}

void EnergyMonitor::sampler_loop() {
  using Clock = std::chrono::steady_clock;
  const auto period = std::chrono::duration_cast<Clock::duration>(
      std::chrono::duration<double>(options_.sample_period_s));
  auto next = Clock::now() + period;
  std::unique_lock<std::mutex> lock(mutex_);
  while (!stop_) {
    if (wake_.wait_until(lock, next, [this] { return stop_; })) break;
    try {
      poll_locked();
    } catch (...) {
      // Never let an exception leave the thread: keep the first for the caller's thread.
      if (!sampler_error_) sampler_error_ = std::current_exception();
    }
    next += period;
    if (next < Clock::now()) next = Clock::now() + period;  // overrun: skip, don't burst
  }
}

void EnergyMonitor::begin_window(const std::string& name) {
  if (options_.sync) options_.sync();
  std::lock_guard<std::mutex> lock(mutex_);
  rethrow_sampler_error_locked();
  EDEN_CHECK(windows_.count(name) == 0, "[monitor] window '", name,
             "' is already open; hint: end it first, or give nested windows distinct names");
  windows_[name] = read_locked();
}

Measurement EnergyMonitor::end_window(const std::string& name) {
  if (options_.sync) options_.sync();
  std::lock_guard<std::mutex> lock(mutex_);
  rethrow_sampler_error_locked();
  auto it = windows_.find(name);
  EDEN_CHECK(it != windows_.end(), "[monitor] window '", name,
             "' is not open; hint: call begin_window(\"", name, "\") first");
  const Snapshot begin = std::move(it->second);
  windows_.erase(it);
  return since_locked(name, begin);
}

Measurement EnergyMonitor::since_locked(const std::string& name, const Snapshot& begin) {
  const Snapshot now = read_locked();
  Measurement measurement;
  measurement.name = name;
  measurement.start_s = begin.time_s;
  measurement.duration_s = now.time_s - begin.time_s;
  for (std::size_t i = 0; i < components_.size(); ++i) {
    measurement.components.push_back({components_[i], now.energy_j[i] - begin.energy_j[i]});
  }
  return measurement;
}

std::optional<Measurement> EnergyMonitor::peek_window(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);  // a sampler error stays for the owner's next call
  const auto it = windows_.find(name);
  if (it == windows_.end()) return std::nullopt;
  return since_locked(name, it->second);
}

void EnergyMonitor::cancel_window(const std::string& name) {
  std::lock_guard<std::mutex> lock(mutex_);
  windows_.erase(name);
}

bool EnergyMonitor::is_window_open(const std::string& name) const {
  std::lock_guard<std::mutex> lock(mutex_);
  return windows_.count(name) > 0;
}

void EnergyMonitor::poll() {
  std::lock_guard<std::mutex> lock(mutex_);
  rethrow_sampler_error_locked();
  poll_locked();
}

PowerTimeline EnergyMonitor::power_timeline() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return timeline_;
}

PowerTimeline EnergyMonitor::take_power_timeline() {
  std::lock_guard<std::mutex> lock(mutex_);
  PowerTimeline taken = std::move(timeline_);
  timeline_ = PowerTimeline(components_);
  return taken;
}

nlohmann::json EnergyMonitor::describe() const {
  nlohmann::json meters = nlohmann::json::array();
  {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& meter : meters_) meters.push_back(meter->describe());
  }
  nlohmann::json status = nlohmann::json::array();
  for (const auto& s : status_) {
    status.push_back({{"name", s.name}, {"in_use", s.in_use}, {"detail", s.detail}});
  }
  nlohmann::json components = nlohmann::json::array();
  for (const auto& c : components_) {
    components.push_back({{"device", c.device},
                          {"domain", c.domain},
                          {"source", to_string(c.source)},
                          {"method", c.method}});
  }
  return {{"sample_period_s", options_.sample_period_s},
          {"components", components},
          {"meters", meters},
          {"meter_status", status},
          {"warnings", warnings_}};
}

}  // namespace eden::energy
