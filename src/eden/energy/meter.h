// The interface every energy source implements (NvmlMeter, RaplMeter, EstimatedCpuMeter,
// EstimatedDramMeter): cumulative joules per component, read on demand.
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/energy/measurement.h"

namespace eden::energy {

/// One source of energy readings for one or more components.
///
/// A meter accumulates energy itself (counter wraps, power integration), so it must be read
/// often enough: EnergyMonitor's sampler thread reads every meter periodically, and again at
/// each window boundary. Calls come from one thread at a time (the monitor serialises them).
class Meter {
 public:
  virtual ~Meter() = default;

  /// Short identifier, e.g. "nvml", "rapl", "estimated-cpu".
  virtual std::string name() const = 0;

  /// The components this meter reports, in the order of read_energy_j().
  virtual const std::vector<Component>& components() const = 0;

  /// Reads the hardware now and returns, per component, the energy in J consumed since the first
  /// call (which returns zeros and sets the baseline). `now_s` is a monotonic time in seconds,
  /// used by meters that integrate power over time; calls must pass non-decreasing times.
  /// Throws eden::Error when the hardware cannot be read.
  virtual std::vector<double> read_energy_j(double now_s) = 0;

  /// What the meter measures and how (hardware names, paths, constants), for reports.
  virtual nlohmann::json describe() const = 0;
};

}  // namespace eden::energy
