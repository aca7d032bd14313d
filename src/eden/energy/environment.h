// The profiling environment as EDEN model cards show it (GPU, CPU, RAM, OS) plus which energy
// meters work here and why not; `eden env` prints it, callers may add rows (LibTorch, BLAS).
#pragma once

#include <string>
#include <utility>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/energy/meter_registry.h"

namespace eden::energy {

/// A "| Component | Specification |" table and the same facts as JSON.
class EnvironmentReport {
 public:
  /// Appends a row. When `json_key` is set, also sets json()[json_key] to `json_value`, or to
  /// `specification` when json_value is null. E.g. add("LibTorch", "2.3.1", "libtorch_version").
  void add(const std::string& component, const std::string& specification,
           const std::string& json_key = "", nlohmann::json json_value = nullptr);

  const std::vector<std::pair<std::string, std::string>>& rows() const { return rows_; }
  const nlohmann::json& json() const { return json_; }
  nlohmann::json& json() { return json_; }

  /// Markdown table with the header "| Component | Specification |".
  std::string to_markdown() const;

 private:
  std::vector<std::pair<std::string, std::string>> rows_;
  nlohmann::json json_ = nlohmann::json::object();
};

/// "Intel(R) Xeon(R) W-2125 CPU @ 4.00GHz" -> "Intel Xeon W-2125".
std::string display_cpu_name(const std::string& model);

/// Probes GPUs (NVML), CPU, RAM and OS, and the status of every meter kind. JSON keys: "gpus"
/// (list of {index, name, uuid, memory_bytes, power_limit_w, default_power_limit_w, method}),
/// "nvml_driver_version", "cpu" ({model, sockets, cores, threads, clock_mhz, clock_source}),
/// "ram_bytes", "os", "meters" (list of {name, source, in_use, detail}), "warnings".
EnvironmentReport probe_environment(const MeterOptions& options = {});

}  // namespace eden::energy
