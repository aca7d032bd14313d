// The estimation model for CPUs and DRAM without a hardware counter: TDP (CodeCarbon's table)
// x utilisation of the measured processes, and a fixed W per GiB of resident memory.
#pragma once

#include <optional>
#include <string>

#include "eden/energy/host_info.h"

namespace eden::energy {

/// Power of a CPU missing from the TDP table, per logical CPU (CodeCarbon's
/// DEFAULT_POWER_PER_CORE, which it applies to threads).
constexpr double kDefaultWattsPerThread = 4.0;

/// DRAM power per GiB of resident memory: 3 W per 8 GB = 0.375 W/GB (CodeCarbon v2's RAM
/// model, also eco2AI's).
constexpr double kDramWattsPerGib = 0.375;

/// Environment variable that overrides the machine's CPU TDP (all sockets), W.
constexpr const char* kCpuTdpEnv = "EDEN_CPU_TDP_W";

/// Lower-cases a CPU name and drops vendor marks, "CPU", "Processor", "N-Core", "@ clock" and
/// " with ..." so /proc/cpuinfo names and table names compare: "intel xeon gold 6248".
std::string normalize_cpu_name(const std::string& name);

/// A table row that matched a CPU model name.
struct TdpMatch {
  std::string table_name;  // the row's name, e.g. "Intel Xeon Gold 6248"
  double tdp_w = 0.0;      // per package
};

/// Finds `model` in CodeCarbon's TDP table: the same normalised name, else the row with most
/// words all found in the model name (and at least one word with a digit, the model number).
std::optional<TdpMatch> find_cpu_tdp(const std::string& model);

/// CPU power as a function of the measured processes' CPU time.
///
/// Power = machine TDP x utilisation, utilisation = CPU time / (wall time x logical CPUs), so
/// energy = machine TDP / logical CPUs x CPU time: a busy logical CPU draws TDP / threads.
struct CpuPowerModel {
  double machine_tdp_w = 0.0;  // TDP of all packages together, W
  int threads = 1;             // logical CPUs the TDP is shared by
  bool is_default = false;     // true when the CPU is not in the table
  std::string basis;           // how machine_tdp_w was chosen, for reports

  /// W drawn by one fully busy logical CPU.
  double watts_per_busy_thread() const { return machine_tdp_w / threads; }
  /// J for `cpu_time_s` seconds of CPU time.
  double energy_j(double cpu_time_s) const { return watts_per_busy_thread() * cpu_time_s; }
  /// W at a utilisation in [0, 1] of the whole machine.
  double power_w(double utilisation) const { return machine_tdp_w * utilisation; }
};

/// TDP from `tdp_override_w`, else EDEN_CPU_TDP_W, else the table x sockets, else
/// kDefaultWattsPerThread x threads (is_default). Throws eden::Error for a bad override.
CpuPowerModel make_cpu_power_model(const CpuInfo& cpu, std::optional<double> tdp_override_w = {});

/// DRAM power of `resident_bytes` of memory, W.
inline double dram_power_w(double resident_bytes) {
  return kDramWattsPerGib * resident_bytes / (1024.0 * 1024.0 * 1024.0);
}

}  // namespace eden::energy
