// CodeCarbon-compatible emissions.csv (v3.3.0 column names and units: s, kg, W, kWh, GB), so
// tools that read CodeCarbon's files read EDEN's.
#pragma once

#include <ctime>
#include <string>
#include <vector>

#include "eden/energy/carbon.h"
#include "eden/energy/measurement.h"

namespace eden::energy {

class EnergyMonitor;

/// Run facts an emissions.csv row has and a Measurement lacks.
struct EmissionsContext {
  std::string project_name = "eden";
  std::string run_id;         // e.g. the run directory name
  std::string experiment_id;  // optional
  std::string os;
  std::string cpu_model;
  int cpu_count = 0;         // logical CPUs
  int gpu_count = 0;         // measured GPUs
  std::string gpu_model;     // "1 x NVIDIA A100-SXM4-40GB" (CodeCarbon's style)
  double ram_total_gib = 0;  // GiB (2^30 bytes): CodeCarbon's "ram_total_size" (it says GB)
};

/// Host facts (OS, CPU, RAM) and the monitor's GPUs; project_name and run_id are left to set.
EmissionsContext make_emissions_context(const EnergyMonitor& monitor);

/// The 38 column names of CodeCarbon v3.3.0's emissions.csv, in order.
const std::vector<std::string>& codecarbon_columns();

/// One row, in column order. Energies in kWh, powers are window means in W, emissions in kg.
/// As CodeCarbon 3.3 computes them: cpu_energy, gpu_energy and ram_energy each include the PUE
/// and energy_consumed is their sum (= CarbonEstimate::energy_kwh); the powers do not. Columns EDEN
/// has no value for (python_version, cloud, coordinates, utilisation) are empty; water_consumed and
/// wue are 0. `end_time` is the wall-clock end of the window (timestamp, local time, like
/// CodeCarbon).
std::vector<std::string> codecarbon_row(const Measurement& measurement,
                                        const CarbonEstimate& carbon,
                                        const EmissionsContext& context, std::time_t end_time);

/// Appends one row to `path`, writing the header first when the file is new or empty.
/// Throws eden::Error when the file cannot be written.
void append_emissions_csv(const std::string& path, const Measurement& measurement,
                          const CarbonEstimate& carbon, const EmissionsContext& context,
                          std::time_t end_time = std::time(nullptr));

}  // namespace eden::energy
