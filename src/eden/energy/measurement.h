// The result of one measurement window: duration and energy per component (GPU, CPU package,
// DRAM), each labelled measured (hardware counter) or estimated (model).
#pragma once

#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace eden::energy {

/// Where a component's joules come from.
enum class Source {
  measured,   // a hardware counter or sampled hardware power (NVML, RAPL)
  estimated,  // a model (TDP x utilisation, W per GB)
};

/// Where a total's joules come from: all measured, all estimated, or some of each.
enum class TotalSource {
  none,  // no component
  measured,
  estimated,
  mixed,
};

std::string to_string(Source source);
std::string to_string(TotalSource source);

/// One energy-consuming part of the machine, as a meter reports it.
struct Component {
  std::string device;  // "gpu0" (CUDA ordinal), "cpu0" (RAPL package), "cpu", "memory"
  std::string domain;  // "gpu", "package", "dram"
  Source source = Source::measured;
  std::string
      method;  // how: "nvml-energy-counter", "nvml-power-sampling", "rapl", "tdp-model", ...

  /// "device/domain", e.g. "gpu0/gpu": unique within a monitor.
  std::string key() const { return device + "/" + domain; }
};

/// A component's energy over one window.
struct ComponentEnergy {
  Component component;
  double energy_j = 0.0;
};

/// What a window consumed, per component and in total.
struct Measurement {
  std::string name;
  double start_s = 0.0;     // window start, seconds since the monitor started
  double duration_s = 0.0;  // wall time of the window
  std::vector<ComponentEnergy> components;

  /// Sum over all components, J.
  double energy_j() const;
  /// Sum over the components of one domain ("gpu", "package", "dram"), J.
  double energy_j(const std::string& domain) const;
  /// energy_j() / duration_s, W (0 for an empty window).
  double avg_power_w() const;
  /// Whether the total is measured, estimated or mixed.
  TotalSource source() const;
  /// The components the total covers, e.g. "gpu0/gpu (measured), cpu/package (estimated)".
  std::string covers() const;
};

/// {"name", "start_s", "duration_s", "energy_j", "avg_power_w", "energy_source",
///  "components": [{"device", "domain", "source", "method", "energy_j"}, ...]}
nlohmann::json to_json(const Measurement& measurement);

}  // namespace eden::energy
