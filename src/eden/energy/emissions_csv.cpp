// CodeCarbon-compatible emissions.csv rows.
#include "eden/energy/emissions_csv.h"

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include <fmt/format.h>

#include "eden/energy/host_info.h"
#include "eden/energy/monitor.h"
#include "eden/util/check.h"

namespace eden::energy {
namespace {

std::string csv_field(const std::string& value) {
  if (value.find_first_of(",\"\n") == std::string::npos) return value;
  std::string quoted = "\"";
  for (char c : value) quoted += c == '"' ? std::string("\"\"") : std::string(1, c);
  return quoted + "\"";
}

std::string number(double value) {
  return fmt::format("{:.10g}", value);
}

}  // namespace

EmissionsContext make_emissions_context(const EnergyMonitor& monitor) {
  EmissionsContext context;
  const CpuInfo cpu = probe_cpu();
  context.os = os_description();
  context.cpu_model = cpu.model;
  context.cpu_count = cpu.threads;
  context.ram_total_gib = total_ram_bytes() / (1024.0 * 1024.0 * 1024.0);
  const nlohmann::json description = monitor.describe();
  std::string gpu_name;
  for (const auto& meter : description["meters"]) {
    if (meter.value("meter", "") != "nvml") continue;
    for (const auto& gpu : meter["gpus"]) {
      if (gpu.value("method", "").empty()) continue;
      ++context.gpu_count;
      gpu_name = gpu.value("name", "");
    }
  }
  if (context.gpu_count > 0)
    context.gpu_model = fmt::format("{} x {}", context.gpu_count, gpu_name);
  return context;
}

const std::vector<std::string>& codecarbon_columns() {
  static const std::vector<std::string> columns = {"timestamp",
                                                   "project_name",
                                                   "run_id",
                                                   "experiment_id",
                                                   "duration",
                                                   "emissions",
                                                   "emissions_rate",
                                                   "cpu_power",
                                                   "gpu_power",
                                                   "ram_power",
                                                   "cpu_energy",
                                                   "gpu_energy",
                                                   "ram_energy",
                                                   "energy_consumed",
                                                   "water_consumed",
                                                   "country_name",
                                                   "country_iso_code",
                                                   "region",
                                                   "cloud_provider",
                                                   "cloud_region",
                                                   "os",
                                                   "python_version",
                                                   "codecarbon_version",
                                                   "cpu_count",
                                                   "cpu_model",
                                                   "gpu_count",
                                                   "gpu_model",
                                                   "longitude",
                                                   "latitude",
                                                   "ram_total_size",
                                                   "tracking_mode",
                                                   "cpu_utilization_percent",
                                                   "gpu_utilization_percent",
                                                   "ram_utilization_percent",
                                                   "ram_used_gb",
                                                   "on_cloud",
                                                   "pue",
                                                   "wue"};
  return columns;
}

std::vector<std::string> codecarbon_row(const Measurement& measurement,
                                        const CarbonEstimate& carbon,
                                        const EmissionsContext& context, std::time_t end_time) {
  const double duration_s = measurement.duration_s;
  auto mean_power_w = [&](double energy_j) { return duration_s > 0 ? energy_j / duration_s : 0.0; };
  const double cpu_j = measurement.energy_j("package");
  const double gpu_j = measurement.energy_j("gpu");
  const double ram_j = measurement.energy_j("dram");
  bool any_estimated = false;
  for (const auto& c : measurement.components)
    any_estimated |= c.component.source == Source::estimated;

  char timestamp[32] = {};
  std::tm local{};
  localtime_r(&end_time, &local);
  std::strftime(timestamp, sizeof timestamp, "%Y-%m-%dT%H:%M:%S", &local);

  std::vector<std::string> row = {
      timestamp, context.project_name, context.run_id, context.experiment_id, number(duration_s),
      number(carbon.co2_kg), number(duration_s > 0 ? carbon.co2_kg / duration_s : 0.0),
      number(mean_power_w(cpu_j)), number(mean_power_w(gpu_j)), number(mean_power_w(ram_j)),
      number(joules_to_kwh(cpu_j) * carbon.pue), number(joules_to_kwh(gpu_j) * carbon.pue),
      number(joules_to_kwh(ram_j) * carbon.pue),
      number(joules_to_kwh(cpu_j) * carbon.pue + joules_to_kwh(gpu_j) * carbon.pue +
             joules_to_kwh(ram_j) * carbon.pue),
      "0",  // water_consumed: no WUE
      carbon.intensity.country_name, carbon.intensity.country_iso3,
      "",  // region
      "",  // cloud_provider
      "",  // cloud_region
      context.os,
      "",  // python_version
      "",  // codecarbon_version: not CodeCarbon
      std::to_string(context.cpu_count), context.cpu_model, std::to_string(context.gpu_count),
      context.gpu_model,
      "",  // longitude
      "",  // latitude
      number(context.ram_total_gib),
      // Estimated CPU and RAM are attributed to the measured processes, counters to the machine.
      any_estimated ? "process" : "machine",
      "",  // cpu_utilization_percent
      "",  // gpu_utilization_percent
      "",  // ram_utilization_percent
      "",  // ram_used_gb
      "N", number(carbon.pue),
      "0",  // wue
  };
  EDEN_ASSERT(row.size() == codecarbon_columns().size());
  return row;
}

void append_emissions_csv(const std::string& path, const Measurement& measurement,
                          const CarbonEstimate& carbon, const EmissionsContext& context,
                          std::time_t end_time) {
  std::error_code ec;
  const bool needs_header =
      !std::filesystem::exists(path, ec) || std::filesystem::file_size(path, ec) == 0;
  std::ofstream out(path, std::ios::app);
  EDEN_CHECK(out, "[emissions] cannot open ", path, " for appending: ", std::strerror(errno),
             "; hint: check that the directory exists and is writable");
  auto write_line = [&out](const std::vector<std::string>& fields) {
    for (std::size_t i = 0; i < fields.size(); ++i) out << (i ? "," : "") << csv_field(fields[i]);
    out << "\n";
  };
  if (needs_header) write_line(codecarbon_columns());
  write_line(codecarbon_row(measurement, carbon, context, end_time));
  out.flush();
  EDEN_CHECK(out, "[emissions] cannot write ", path, ": ", std::strerror(errno),
             "; hint: is the disk full?");
}

}  // namespace eden::energy
