// Meter selection with fallbacks: NVML -> GPUs, RAPL -> packages + DRAM, estimation -> the rest.
#include "eden/energy/meter_registry.h"

#include <cstdlib>

#include <fmt/format.h>

#include "eden/energy/estimated_meter.h"
#include "eden/energy/host_info.h"
#include "eden/util/check.h"

namespace eden::energy {

const std::vector<MeterKind>& list_meters() {
  static const std::vector<MeterKind> kinds = {
      {"nvml", Source::measured,
       "NVIDIA GPUs via NVML (dlopen libnvidia-ml.so.1 or $EDEN_NVML_LIBRARY): energy counter, "
       "else power sampling"},
      {"rapl", Source::measured,
       "CPU packages and DRAM via RAPL powercap (/sys/class/powercap or $EDEN_POWERCAP_ROOT)"},
      {"estimated-cpu", Source::estimated,
       "CPU without RAPL: TDP (CodeCarbon table) x CPU time of the measured processes"},
      {"estimated-dram", Source::estimated,
       "DRAM without RAPL: 0.375 W per GiB of resident memory of the measured processes"},
  };
  return kinds;
}

MeterSet create_meters(const MeterOptions& options) {
  MeterSet set;
  auto add_status = [&](const std::string& name, bool in_use, std::string detail) {
    set.status.push_back({name, in_use, std::move(detail)});
  };

  // NVML.
  if (!options.use_nvml) {
    add_status("nvml", false, "disabled");
  } else {
    try {
      auto meter = NvmlMeter::open(options.nvml);
      set.warnings.insert(set.warnings.end(), meter->warnings().begin(), meter->warnings().end());
      std::string detail;
      for (const auto& gpu : meter->gpus()) {
        if (!detail.empty()) detail += "; ";
        detail +=
            fmt::format("gpu{} {}: {}", gpu.index, gpu.name,
                        gpu.method.empty() ? "not measured, " + gpu.why_not_measured : gpu.method);
      }
      if (meter->components().empty()) {
        add_status("nvml", false,
                   detail.empty() ? "NVML loaded, but no GPU is visible to this process" : detail);
      } else {
        add_status("nvml", true, detail);
        set.meters.push_back(std::move(meter));
      }
    } catch (const Error& e) {
      const std::string why = e.what();
      // A missing library is normal on CPU machines; a broken one (or a wrong override) is not.
      const bool load_failure = why.rfind("[nvml] cannot load", 0) == 0;
      const bool overridden = !options.nvml.library_path.empty() || std::getenv(kNvmlLibraryEnv);
      if (!load_failure || overridden) {
        set.warnings.push_back(why + "; falling back: GPU energy is not measured");
      }
      add_status("nvml", false, why);
    }
  }

  // RAPL.
  bool rapl_package = false;
  bool rapl_dram = false;
  if (!options.use_rapl) {
    add_status("rapl", false, "disabled");
  } else {
    RaplOpenResult rapl;
    try {
      rapl = RaplMeter::open(options.rapl);
    } catch (const Error& e) {
      rapl.why_not = e.what();
    }
    if (rapl.meter) {
      std::string detail;
      for (const auto& zone : rapl.meter->zones()) {
        if (!detail.empty()) detail += ", ";
        detail += zone.device + "/" + zone.domain + " (" + zone.zone + ")";
        (zone.domain == "dram" ? rapl_dram : rapl_package) = true;
      }
      if (options.machine_meters) {
        add_status("rapl", true, detail);
        set.meters.push_back(std::move(rapl.meter));
      } else {
        add_status("rapl", false, "read by another rank on this machine: " + detail);
      }
    } else {
      // Errors start with "[rapl]"; "no powercap tree" just means no RAPL here.
      if (rapl.why_not.rfind("[rapl]", 0) == 0) set.warnings.push_back(rapl.why_not);
      add_status("rapl", false, rapl.why_not);
    }
  }

  // Estimation for what RAPL does not measure.
  auto process = options.process ? options.process : ProcessScope::self();
  if (rapl_package) {
    add_status("estimated-cpu", false, "not needed: RAPL measures the CPU packages");
  } else if (!options.use_estimation) {
    add_status("estimated-cpu", false, "disabled: CPU energy is not counted");
  } else {
    auto meter = std::make_unique<EstimatedCpuMeter>(
        make_cpu_power_model(probe_cpu(), options.cpu_tdp_w), process);
    const CpuPowerModel& model = meter->model();
    if (model.is_default) set.warnings.push_back("[estimate] CPU TDP " + model.basis);
    add_status("estimated-cpu", true,
               fmt::format("{:g} W machine TDP / {} threads, {}", model.machine_tdp_w,
                           model.threads, model.basis));
    set.meters.push_back(std::move(meter));
  }
  if (rapl_dram) {
    add_status("estimated-dram", false, "not needed: RAPL measures DRAM");
  } else if (!options.use_estimation) {
    add_status("estimated-dram", false, "disabled: DRAM energy is not counted");
  } else {
    add_status("estimated-dram", true,
               fmt::format("{:g} W per GiB resident, {}", kDramWattsPerGib, process->describe()));
    set.meters.push_back(std::make_unique<EstimatedDramMeter>(process));
  }
  return set;
}

}  // namespace eden::energy
