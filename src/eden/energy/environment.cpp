// Probing and formatting of the profiling environment.
#include "eden/energy/environment.h"

#include <sstream>
#include <utility>

#include <fmt/format.h>

#include "eden/energy/host_info.h"
#include "eden/energy/nvml_meter.h"
#include "eden/util/check.h"

namespace eden::energy {
namespace {

constexpr double kBytesPerGib = 1024.0 * 1024.0 * 1024.0;

std::string escape_cell(const std::string& text) {
  std::string out;
  for (char c : text) {
    if (c == '|') out += '\\';
    out += c == '\n' ? ' ' : c;
  }
  return out;
}

}  // namespace

void EnvironmentReport::add(const std::string& component, const std::string& specification,
                            const std::string& json_key, nlohmann::json json_value) {
  rows_.emplace_back(component, specification);
  if (json_key.empty()) return;
  json_[json_key] = json_value.is_null() ? nlohmann::json(specification) : std::move(json_value);
}

std::string EnvironmentReport::to_markdown() const {
  std::string out = "| Component | Specification |\n|---|---|\n";
  for (const auto& [component, specification] : rows_) {
    out += fmt::format("| {} | {} |\n", escape_cell(component), escape_cell(specification));
  }
  return out;
}

std::string display_cpu_name(const std::string& model) {
  std::string s = model;
  if (auto at = s.find('@'); at != std::string::npos) s.erase(at);
  for (const char* mark : {"(R)", "(r)", "(TM)", "(tm)"}) {
    for (auto pos = s.find(mark); pos != std::string::npos; pos = s.find(mark)) {
      s.erase(pos, std::string(mark).size());
    }
  }
  std::istringstream in(s);
  std::string out;
  for (std::string word; in >> word;) {
    if (word == "CPU" || word == "Processor") continue;
    if (word.size() > 5 && word.compare(word.size() - 5, 5, "-Core") == 0) continue;
    if (!out.empty()) out += ' ';
    out += word;
  }
  return out.empty() ? "unknown CPU" : out;
}

EnvironmentReport probe_environment(const MeterOptions& options) {
  EnvironmentReport report;

  // GPUs: NVML is opened here too (it is reference-counted) because create_meters drops a
  // meter whose GPUs cannot be measured, and the report lists those as well.
  nlohmann::json gpus = nlohmann::json::array();
  std::string driver_version;
  if (options.use_nvml) {
    try {
      auto nvml = NvmlMeter::open(options.nvml);
      driver_version = nvml->driver_version();
      for (const auto& gpu : nvml->gpus()) {
        std::vector<std::string> facts;
        if (gpu.memory_total_bytes > 0) {
          facts.push_back(fmt::format("{:.0f} GiB VRAM", gpu.memory_total_bytes / kBytesPerGib));
        }
        if (gpu.default_power_limit_w > 0) {
          facts.push_back(fmt::format("{:.0f} W TDP", gpu.default_power_limit_w));
        }
        if (gpu.power_limit_w > 0 && gpu.power_limit_w != gpu.default_power_limit_w) {
          facts.push_back(fmt::format("{:.0f} W power limit", gpu.power_limit_w));
        }
        std::string spec = gpu.name.empty() ? "unnamed GPU" : gpu.name;
        if (!facts.empty()) {
          spec += " (";
          for (std::size_t i = 0; i < facts.size(); ++i) spec += (i ? ", " : "") + facts[i];
          spec += ")";
        }
        report.add(nvml->gpus().size() > 1 ? fmt::format("GPU {}", gpu.index) : "GPU", spec);
        gpus.push_back({{"index", gpu.index},
                        {"name", gpu.name},
                        {"uuid", gpu.uuid},
                        {"memory_bytes", gpu.memory_total_bytes},
                        {"power_limit_w", gpu.power_limit_w},
                        {"default_power_limit_w", gpu.default_power_limit_w},
                        {"method", gpu.method}});
      }
      if (nvml->gpus().empty()) report.add("GPU", "none visible to this process");
    } catch (const Error&) {
      report.add("GPU", "none found (NVML not available, see the nvml meter below)");
    }
  } else {
    report.add("GPU", "not probed (NVML disabled)");
  }
  report.json()["gpus"] = gpus;
  report.json()["nvml_driver_version"] = driver_version;
  if (!driver_version.empty()) report.add("NVIDIA driver", driver_version);

  const CpuInfo cpu = probe_cpu();
  std::string cpu_spec = display_cpu_name(cpu.model);
  if (cpu.sockets > 1) cpu_spec = fmt::format("{} x {}", cpu.sockets, cpu_spec);
  cpu_spec += fmt::format(" ({} cores / {} threads", cpu.cores, cpu.threads);
  if (cpu.clock_mhz > 0) cpu_spec += fmt::format(" @ {:.2f} GHz", cpu.clock_mhz / 1000.0);
  cpu_spec += ")";
  report.add("CPU", cpu_spec);
  report.json()["cpu"] = {{"model", cpu.model},         {"sockets", cpu.sockets},
                          {"cores", cpu.cores},         {"threads", cpu.threads},
                          {"clock_mhz", cpu.clock_mhz}, {"clock_source", cpu.clock_source}};

  const double ram_bytes = total_ram_bytes();
  report.add("RAM", fmt::format("{:.2f} GiB System RAM", ram_bytes / kBytesPerGib), "ram_bytes",
             ram_bytes);
  report.add("OS", os_description(), "os");

  MeterSet meters = create_meters(options);
  nlohmann::json meter_json = nlohmann::json::array();
  for (const auto& kind : list_meters()) {
    for (const auto& status : meters.status) {
      if (status.name != kind.name) continue;
      report.add("Meter " + kind.name,
                 fmt::format("{} ({}): {}", status.in_use ? "in use" : "not used",
                             to_string(kind.source), status.detail));
      meter_json.push_back({{"name", kind.name},
                            {"source", to_string(kind.source)},
                            {"in_use", status.in_use},
                            {"detail", status.detail}});
    }
  }
  report.json()["meters"] = meter_json;
  report.json()["warnings"] = meters.warnings;
  return report;
}

}  // namespace eden::energy
