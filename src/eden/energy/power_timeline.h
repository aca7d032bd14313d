// Timestamped power per component, recorded by the monitor's sampler, for power.csv and plots.
#pragma once

#include <cstddef>
#include <ostream>
#include <string>
#include <utility>
#include <vector>

#include "eden/energy/measurement.h"

namespace eden::energy {

/// Power samples of a fixed set of components. Each sample is the mean power of every component
/// over the interval that ends at its time (energy difference / time difference).
class PowerTimeline {
 public:
  PowerTimeline() = default;
  explicit PowerTimeline(std::vector<Component> components) : components_(std::move(components)) {}

  /// Appends one sample: `power_w[i]` is component i's mean power, W, up to `time_s`.
  void append(double time_s, const std::vector<double>& power_w);
  void clear();

  const std::vector<Component>& components() const { return components_; }
  std::size_t size() const { return time_s_.size(); }
  bool empty() const { return time_s_.empty(); }
  double time_s(std::size_t sample) const { return time_s_[sample]; }
  double power_w(std::size_t sample, std::size_t component) const {
    return power_w_[sample * components_.size() + component];
  }

  /// Long format, one row per sample and component: time_s,device,domain,source,power_w.
  void write_csv(std::ostream& out, bool header = true) const;

  /// Appends the rows to `path`, writing the header first when the file is new or empty.
  /// Throws eden::Error when the file cannot be written.
  void append_csv(const std::string& path) const;

 private:
  std::vector<Component> components_;
  std::vector<double> time_s_;  // seconds since the monitor started
  std::vector<float> power_w_;  // [sample][component]; float halves memory for long runs
};

}  // namespace eden::energy
