// NVIDIA GPU energy through NVML: the total-energy counter where the GPU has one (Volta and
// newer), else power readings integrated with the trapezoid rule. Honours CUDA_VISIBLE_DEVICES.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eden/energy/meter.h"
#include "eden/energy/nvml_library.h"

namespace eden::energy {

/// The NVML devices CUDA_VISIBLE_DEVICES selects, in CUDA ordinal order.
struct GpuSelection {
  std::vector<unsigned> nvml_indices;  // [cuda ordinal] -> NVML index
  std::vector<std::string> warnings;   // entries ignored, and why
};

/// Applies CUDA_VISIBLE_DEVICES (nullopt: unset, all devices in NVML order) to NVML's devices,
/// given by UUID in NVML order. Entries are UUIDs ("GPU-8f3e...", a unique prefix is enough) or
/// integer indices (CUDA ordinals, taken as NVML indices: equal when CUDA_DEVICE_ORDER=PCI_BUS_ID,
/// which UUIDs avoid needing). Like CUDA, the list stops at the first invalid entry. MIG entries
/// are skipped with a warning: NVML cannot measure MIG slices.
GpuSelection select_visible_gpus(const std::optional<std::string>& cuda_visible_devices,
                                 const std::vector<std::string>& nvml_uuids);

/// One visible GPU and how it is measured.
struct GpuInfo {
  int index = 0;  // CUDA ordinal in this process; component device "gpu<index>"
  unsigned nvml_index = 0;
  std::string uuid;
  std::string name;                      // "NVIDIA A100-SXM4-40GB"
  std::uint64_t memory_total_bytes = 0;  // 0: unknown
  double power_limit_w = 0.0;            // enforced limit, 0: unknown
  double default_power_limit_w = 0.0;    // default limit (the board's TDP), 0: unknown
  std::string method;  // "nvml-energy-counter", "nvml-power-sampling", "" (not measurable)
  std::string why_not_measured;  // when method is empty
};

struct NvmlOptions {
  std::string library_path;  // empty: $EDEN_NVML_LIBRARY, else libnvidia-ml.so.1
  std::optional<std::string> cuda_visible_devices;  // unset: read the environment variable
  bool read_environment = true;  // false: cuda_visible_devices as given (nullopt = unset)
};

/// Energy of every visible, measurable GPU; whole-device energy, all processes included.
class NvmlMeter : public Meter {
 public:
  /// Loads NVML, applies CUDA_VISIBLE_DEVICES and picks counter or power sampling per GPU.
  /// Throws eden::Error when NVML cannot be loaded or initialised.
  static std::unique_ptr<NvmlMeter> open(const NvmlOptions& options = {});

  std::string name() const override { return "nvml"; }
  const std::vector<Component>& components() const override { return components_; }
  /// Reads each GPU's counter (mJ), or its power (mW) and integrates it up to `now_s`.
  /// Throws eden::Error naming the GPU and the NVML error.
  std::vector<double> read_energy_j(double now_s) override;
  nlohmann::json describe() const override;

  /// Every visible GPU, measurable or not.
  const std::vector<GpuInfo>& gpus() const { return gpus_; }
  const std::string& driver_version() const { return driver_version_; }
  const std::vector<std::string>& warnings() const { return warnings_; }

 private:
  struct Reader {         // per measured GPU
    std::size_t gpu = 0;  // into gpus_
    nvml::Device device = nullptr;
    bool counter = false;
    bool started = false;
    unsigned long long last_mj = 0;
    double counter_j = 0.0;
    double last_time_s = 0.0;
    double last_power_w = 0.0;
    double integrated_j = 0.0;
  };

  explicit NvmlMeter(std::shared_ptr<NvmlLibrary> library) : library_(std::move(library)) {}
  double read_counter_j(Reader& reader);
  double read_integrated_j(Reader& reader, double now_s);

  std::shared_ptr<NvmlLibrary> library_;
  std::vector<GpuInfo> gpus_;
  std::vector<Reader> readers_;
  std::vector<Component> components_;
  std::string driver_version_;
  std::vector<std::string> warnings_;
};

}  // namespace eden::energy
