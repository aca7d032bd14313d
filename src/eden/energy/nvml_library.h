// NVML loaded at run time with dlopen, so EDEN builds and runs without the NVIDIA driver.
// Only the few functions the energy layer calls are resolved.
#pragma once

#include <memory>
#include <string>

namespace eden::energy {

/// Environment variable that replaces the NVML library path (tests load a fake NVML with it).
constexpr const char* kNvmlLibraryEnv = "EDEN_NVML_LIBRARY";
constexpr const char* kNvmlDefaultLibrary = "libnvidia-ml.so.1";

/// NVML's C types, as in nvml.h (ABI-compatible declarations; nvml.h is not needed to build).
namespace nvml {
using Return = int;                    // nvmlReturn_t
using Device = struct nvmlDevice_st*;  // nvmlDevice_t
constexpr Return kSuccess = 0;
constexpr Return kNotSupported = 3;
constexpr unsigned kNameBufferSize = 96;    // NVML_DEVICE_NAME_V2_BUFFER_SIZE
constexpr unsigned kUuidBufferSize = 96;    // NVML_DEVICE_UUID_V2_BUFFER_SIZE
constexpr unsigned kDriverBufferSize = 80;  // NVML_SYSTEM_DRIVER_VERSION_BUFFER_SIZE
struct Memory {                             // nvmlMemory_t, bytes
  unsigned long long total;
  unsigned long long free;
  unsigned long long used;
};
}  // namespace nvml

/// A loaded and initialised NVML (nvmlInit_v2); nvmlShutdown and dlclose on destruction.
class NvmlLibrary {
 public:
  /// Function pointers. Required ones are never null; optional ones are null when missing.
  struct Api {
    nvml::Return (*init_v2)();
    nvml::Return (*shutdown)();
    const char* (*error_string)(nvml::Return);
    nvml::Return (*device_get_count_v2)(unsigned*);
    nvml::Return (*device_get_handle_by_index_v2)(unsigned, nvml::Device*);
    nvml::Return (*device_get_uuid)(nvml::Device, char*, unsigned);
    nvml::Return (*device_get_name)(nvml::Device, char*, unsigned);
    nvml::Return (*device_get_power_usage)(nvml::Device, unsigned*);  // mW
    // Optional:
    nvml::Return (*system_get_driver_version)(char*, unsigned);
    nvml::Return (*device_get_total_energy_consumption)(nvml::Device, unsigned long long*);  // mJ
    nvml::Return (*device_get_enforced_power_limit)(nvml::Device, unsigned*);                // mW
    nvml::Return (*device_get_power_management_default_limit)(nvml::Device, unsigned*);      // mW
    nvml::Return (*device_get_memory_info)(nvml::Device, nvml::Memory*);
  };

  /// Loads `path` (empty: $EDEN_NVML_LIBRARY, else libnvidia-ml.so.1) and initialises it.
  /// Throws eden::Error saying why (not found, missing symbol, nvmlInit_v2 failure).
  static std::shared_ptr<NvmlLibrary> open(const std::string& path = "");

  ~NvmlLibrary();
  NvmlLibrary(const NvmlLibrary&) = delete;
  NvmlLibrary& operator=(const NvmlLibrary&) = delete;

  const Api& api() const { return api_; }
  const std::string& path() const { return path_; }
  /// "Not Supported (code 3)".
  std::string describe(nvml::Return code) const;

 private:
  NvmlLibrary(void* handle, std::string path, Api api);

  void* handle_;
  std::string path_;
  Api api_;
};

/// The library path in effect: `path` if set, else $EDEN_NVML_LIBRARY, else libnvidia-ml.so.1.
std::string nvml_library_path(const std::string& path = "");

}  // namespace eden::energy
