// dlopen/dlsym of NVML and its init/shutdown pairing.
#include "eden/energy/nvml_library.h"

#include <dlfcn.h>

#include <cstdlib>
#include <utility>

#include <fmt/format.h>

#include "eden/util/check.h"

namespace eden::energy {
namespace {

template <typename F>
void resolve(void* handle, const char* symbol, F* function) {
  *function = reinterpret_cast<F>(dlsym(handle, symbol));
}

}  // namespace

std::string nvml_library_path(const std::string& path) {
  if (!path.empty()) return path;
  if (const char* env = std::getenv(kNvmlLibraryEnv); env != nullptr && *env != '\0') return env;
  return kNvmlDefaultLibrary;
}

std::shared_ptr<NvmlLibrary> NvmlLibrary::open(const std::string& path) {
  const std::string resolved = nvml_library_path(path);
  void* handle = dlopen(resolved.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (handle == nullptr) {
    const char* why = dlerror();
    throw Error(fmt::format(
        "[nvml] cannot load {}: {}; hint: on a machine with an NVIDIA GPU install the driver, "
        "or set {} to the library's path",
        resolved, why != nullptr ? why : "unknown dlopen error", kNvmlLibraryEnv));
  }
  Api api{};
  resolve(handle, "nvmlInit_v2", &api.init_v2);
  resolve(handle, "nvmlShutdown", &api.shutdown);
  resolve(handle, "nvmlErrorString", &api.error_string);
  resolve(handle, "nvmlDeviceGetCount_v2", &api.device_get_count_v2);
  resolve(handle, "nvmlDeviceGetHandleByIndex_v2", &api.device_get_handle_by_index_v2);
  resolve(handle, "nvmlDeviceGetUUID", &api.device_get_uuid);
  resolve(handle, "nvmlDeviceGetName", &api.device_get_name);
  resolve(handle, "nvmlDeviceGetPowerUsage", &api.device_get_power_usage);
  resolve(handle, "nvmlSystemGetDriverVersion", &api.system_get_driver_version);
  resolve(handle, "nvmlDeviceGetTotalEnergyConsumption", &api.device_get_total_energy_consumption);
  resolve(handle, "nvmlDeviceGetEnforcedPowerLimit", &api.device_get_enforced_power_limit);
  resolve(handle, "nvmlDeviceGetPowerManagementDefaultLimit",
          &api.device_get_power_management_default_limit);
  resolve(handle, "nvmlDeviceGetMemoryInfo", &api.device_get_memory_info);
  const std::pair<const char*, bool> required[] = {
      {"nvmlInit_v2", api.init_v2 != nullptr},
      {"nvmlShutdown", api.shutdown != nullptr},
      {"nvmlErrorString", api.error_string != nullptr},
      {"nvmlDeviceGetCount_v2", api.device_get_count_v2 != nullptr},
      {"nvmlDeviceGetHandleByIndex_v2", api.device_get_handle_by_index_v2 != nullptr},
      {"nvmlDeviceGetUUID", api.device_get_uuid != nullptr},
      {"nvmlDeviceGetName", api.device_get_name != nullptr},
      {"nvmlDeviceGetPowerUsage", api.device_get_power_usage != nullptr},
  };
  for (const auto& [symbol, found] : required) {
    if (!found) {
      dlclose(handle);
      throw Error(
          fmt::format("[nvml] {} has no symbol {}; hint: is it really libnvidia-ml? "
                      "(driver too old, or a wrong {})",
                      resolved, symbol, kNvmlLibraryEnv));
    }
  }
  const nvml::Return rc = api.init_v2();
  if (rc != nvml::kSuccess) {
    // The message lives in the library: format it before dlclose unmaps it.
    const char* what = api.error_string(rc);
    std::string message = fmt::format(
        "[nvml] nvmlInit_v2 failed in {}: {} (code {}); hint: check that the NVIDIA driver is "
        "loaded and matches the library (run nvidia-smi)",
        resolved, what != nullptr ? what : "unknown error", rc);
    dlclose(handle);
    throw Error(message);
  }
  return std::shared_ptr<NvmlLibrary>(new NvmlLibrary(handle, resolved, api));
}

NvmlLibrary::NvmlLibrary(void* handle, std::string path, Api api)
    : handle_(handle), path_(std::move(path)), api_(api) {}

NvmlLibrary::~NvmlLibrary() {
  const nvml::Return rc = api_.shutdown();
  if (rc != nvml::kSuccess) {
    fmt::print(stderr, "eden: warning: [nvml] nvmlShutdown failed: {}\n", describe(rc));
  }
  dlclose(handle_);
}

std::string NvmlLibrary::describe(nvml::Return code) const {
  const char* what = api_.error_string(code);
  return fmt::format("{} (code {})", what != nullptr ? what : "unknown error", code);
}

}  // namespace eden::energy
