// NVML meter: device selection by CUDA_VISIBLE_DEVICES, counter vs power-sampling choice per
// GPU, and the readings themselves.
#include "eden/energy/nvml_meter.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <sstream>

#include <fmt/format.h>

#include "eden/util/check.h"

namespace eden::energy {
namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t");
  if (begin == std::string::npos) return "";
  return s.substr(begin, s.find_last_not_of(" \t") - begin + 1);
}

bool is_integer(const std::string& s) {
  const std::size_t start = (!s.empty() && s[0] == '-') ? 1 : 0;
  return s.size() > start && std::all_of(s.begin() + static_cast<long>(start), s.end(),
                                         [](unsigned char c) { return std::isdigit(c); });
}

}  // namespace

GpuSelection select_visible_gpus(const std::optional<std::string>& cuda_visible_devices,
                                 const std::vector<std::string>& nvml_uuids) {
  GpuSelection selection;
  if (!cuda_visible_devices) {
    for (unsigned i = 0; i < nvml_uuids.size(); ++i) selection.nvml_indices.push_back(i);
    return selection;
  }
  const std::string& value = *cuda_visible_devices;
  auto stop = [&](const std::string& entry, const std::string& why) {
    selection.warnings.push_back(fmt::format(
        "[nvml] CUDA_VISIBLE_DEVICES='{}': entry '{}' {}; CUDA ignores it and every entry after "
        "it, so EDEN does too",
        value, entry, why));
  };
  std::istringstream in(value);
  for (std::string raw; std::getline(in, raw, ',');) {
    const std::string entry = trim(raw);
    std::optional<unsigned> index;
    if (entry.empty()) {
      break;  // "" or a trailing comma: no (more) devices
    } else if (is_integer(entry)) {
      const long long i = std::stoll(entry);
      if (i < 0 || i >= static_cast<long long>(nvml_uuids.size())) {
        if (i >= 0)
          stop(entry, fmt::format("is not a device index (NVML has {})", nvml_uuids.size()));
        break;  // "-1" is the usual way to hide every device: no warning
      }
      index = static_cast<unsigned>(i);
    } else if (entry.rfind("MIG-", 0) == 0) {
      selection.warnings.push_back(fmt::format(
          "[nvml] CUDA_VISIBLE_DEVICES entry '{}' is a MIG slice; NVML cannot measure the energy "
          "of MIG slices, so it is not counted",
          entry));
      continue;
    } else {
      std::vector<unsigned> matches;
      for (unsigned i = 0; i < nvml_uuids.size(); ++i) {
        if (nvml_uuids[i].rfind(entry, 0) == 0) matches.push_back(i);
      }
      if (matches.size() != 1) {
        stop(entry, matches.empty() ? "matches no GPU UUID" : "matches several GPU UUIDs");
        break;
      }
      index = matches[0];
    }
    const auto& chosen = selection.nvml_indices;
    if (std::find(chosen.begin(), chosen.end(), *index) != chosen.end()) {
      stop(entry, "names a GPU already listed");
      break;
    }
    selection.nvml_indices.push_back(*index);
  }
  return selection;
}

std::unique_ptr<NvmlMeter> NvmlMeter::open(const NvmlOptions& options) {
  auto library = NvmlLibrary::open(options.library_path);
  const auto& api = library->api();
  std::unique_ptr<NvmlMeter> meter(new NvmlMeter(library));

  if (api.system_get_driver_version != nullptr) {
    char version[nvml::kDriverBufferSize] = {};
    if (api.system_get_driver_version(version, sizeof version) == nvml::kSuccess) {
      meter->driver_version_ = version;
    }
  }
  unsigned count = 0;
  nvml::Return rc = api.device_get_count_v2(&count);
  EDEN_CHECK(rc == nvml::kSuccess, "[nvml] nvmlDeviceGetCount_v2 failed: ", library->describe(rc),
             "; hint: run nvidia-smi to check the driver");

  std::vector<nvml::Device> devices(count, nullptr);
  std::vector<std::string> uuids(count);
  for (unsigned i = 0; i < count; ++i) {
    rc = api.device_get_handle_by_index_v2(i, &devices[i]);
    if (rc != nvml::kSuccess) {  // e.g. NO_PERMISSION for a GPU of another container
      meter->warnings_.push_back(
          fmt::format("[nvml] NVML device {}: no handle: {}", i, library->describe(rc)));
      devices[i] = nullptr;
      continue;
    }
    char uuid[nvml::kUuidBufferSize] = {};
    if (api.device_get_uuid(devices[i], uuid, sizeof uuid) == nvml::kSuccess) uuids[i] = uuid;
  }

  std::optional<std::string> visible = options.cuda_visible_devices;
  if (options.read_environment && !visible) {
    if (const char* env = std::getenv("CUDA_VISIBLE_DEVICES"); env != nullptr) visible = env;
  }
  GpuSelection selection = select_visible_gpus(visible, uuids);
  meter->warnings_.insert(meter->warnings_.end(), selection.warnings.begin(),
                          selection.warnings.end());

  for (std::size_t ordinal = 0; ordinal < selection.nvml_indices.size(); ++ordinal) {
    const unsigned nvml_index = selection.nvml_indices[ordinal];
    nvml::Device device = devices[nvml_index];
    GpuInfo gpu;
    gpu.index = static_cast<int>(ordinal);
    gpu.nvml_index = nvml_index;
    gpu.uuid = uuids[nvml_index];
    if (device == nullptr) {
      gpu.why_not_measured = "NVML gives no handle for it";
      meter->gpus_.push_back(gpu);
      continue;
    }
    char name[nvml::kNameBufferSize] = {};
    if (api.device_get_name(device, name, sizeof name) == nvml::kSuccess) gpu.name = name;
    unsigned limit_mw = 0;
    if (api.device_get_enforced_power_limit != nullptr &&
        api.device_get_enforced_power_limit(device, &limit_mw) == nvml::kSuccess) {
      gpu.power_limit_w = limit_mw / 1000.0;
    }
    if (api.device_get_power_management_default_limit != nullptr &&
        api.device_get_power_management_default_limit(device, &limit_mw) == nvml::kSuccess) {
      gpu.default_power_limit_w = limit_mw / 1000.0;
    }
    nvml::Memory memory{};
    if (api.device_get_memory_info != nullptr &&
        api.device_get_memory_info(device, &memory) == nvml::kSuccess) {
      gpu.memory_total_bytes = memory.total;
    }

    // The counter is the better source (Zeus, CodeCarbon); try it once, else sample power.
    unsigned long long energy_mj = 0;
    unsigned power_mw = 0;
    nvml::Return counter_rc = nvml::kNotSupported;
    if (api.device_get_total_energy_consumption != nullptr) {
      counter_rc = api.device_get_total_energy_consumption(device, &energy_mj);
    }
    const nvml::Return power_rc = api.device_get_power_usage(device, &power_mw);
    Reader reader;
    reader.gpu = meter->gpus_.size();
    reader.device = device;
    if (counter_rc == nvml::kSuccess) {
      gpu.method = "nvml-energy-counter";
      reader.counter = true;
    } else if (power_rc == nvml::kSuccess) {
      gpu.method = "nvml-power-sampling";
    } else {
      gpu.why_not_measured =
          fmt::format("no energy counter ({}) and no power reading ({})",
                      library->describe(counter_rc), library->describe(power_rc));
      meter->warnings_.push_back(fmt::format("[nvml] gpu{} ({}): {}; its energy is not counted",
                                             gpu.index, gpu.name, gpu.why_not_measured));
    }
    if (!gpu.method.empty()) {
      meter->components_.push_back(
          {"gpu" + std::to_string(gpu.index), "gpu", Source::measured, gpu.method});
      meter->readers_.push_back(reader);
    }
    meter->gpus_.push_back(gpu);
  }
  return meter;
}

double NvmlMeter::read_counter_j(Reader& reader) {
  unsigned long long energy_mj = 0;
  const nvml::Return rc =
      library_->api().device_get_total_energy_consumption(reader.device, &energy_mj);
  const GpuInfo& gpu = gpus_[reader.gpu];
  EDEN_CHECK(rc == nvml::kSuccess, "[nvml] gpu", gpu.index, " (", gpu.name,
             "): nvmlDeviceGetTotalEnergyConsumption failed: ", library_->describe(rc),
             "; hint: run nvidia-smi; a lost GPU or driver reset stops measurement");
  if (reader.started) {
    // The counter is 64-bit mJ since the driver loaded: a decrease is a driver reload.
    reader.counter_j +=
        (energy_mj >= reader.last_mj ? energy_mj - reader.last_mj : energy_mj) * 1e-3;
  }
  reader.started = true;
  reader.last_mj = energy_mj;
  return reader.counter_j;
}

double NvmlMeter::read_integrated_j(Reader& reader, double now_s) {
  unsigned power_mw = 0;
  const nvml::Return rc = library_->api().device_get_power_usage(reader.device, &power_mw);
  const GpuInfo& gpu = gpus_[reader.gpu];
  EDEN_CHECK(rc == nvml::kSuccess, "[nvml] gpu", gpu.index, " (", gpu.name,
             "): nvmlDeviceGetPowerUsage failed: ", library_->describe(rc),
             "; hint: run nvidia-smi; a lost GPU or driver reset stops measurement");
  const double power_w = power_mw * 1e-3;
  if (reader.started && now_s > reader.last_time_s) {
    reader.integrated_j += 0.5 * (reader.last_power_w + power_w) * (now_s - reader.last_time_s);
  }
  reader.started = true;
  reader.last_time_s = std::max(reader.last_time_s, now_s);
  reader.last_power_w = power_w;
  return reader.integrated_j;
}

std::vector<double> NvmlMeter::read_energy_j(double now_s) {
  std::vector<double> energy_j;
  energy_j.reserve(readers_.size());
  for (auto& reader : readers_) {
    energy_j.push_back(reader.counter ? read_counter_j(reader) : read_integrated_j(reader, now_s));
  }
  return energy_j;
}

nlohmann::json NvmlMeter::describe() const {
  nlohmann::json gpus = nlohmann::json::array();
  for (const auto& gpu : gpus_) {
    gpus.push_back({{"index", gpu.index},
                    {"nvml_index", gpu.nvml_index},
                    {"uuid", gpu.uuid},
                    {"name", gpu.name},
                    {"memory_total_bytes", gpu.memory_total_bytes},
                    {"power_limit_w", gpu.power_limit_w},
                    {"default_power_limit_w", gpu.default_power_limit_w},
                    {"method", gpu.method},
                    {"why_not_measured", gpu.why_not_measured}});
  }
  return {{"meter", name()},
          {"library", library_->path()},
          {"driver_version", driver_version_},
          {"gpus", gpus},
          {"scope", "whole GPU (all processes)"}};
}

}  // namespace eden::energy
