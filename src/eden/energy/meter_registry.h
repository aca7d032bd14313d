// Chooses the meters for this machine (NVML, RAPL, then estimation for what no counter covers)
// and says for each kind whether it is used and why not.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eden/energy/meter.h"
#include "eden/energy/nvml_meter.h"
#include "eden/energy/process_usage.h"
#include "eden/energy/rapl_meter.h"

namespace eden::energy {

/// Which meters to try and where they look.
struct MeterOptions {
  bool use_nvml = true;
  bool use_rapl = true;
  bool use_estimation = true;  // estimate CPU and DRAM when RAPL does not measure them
  NvmlOptions nvml;
  RaplOptions rapl;
  std::shared_ptr<ProcessScope> process;  // whom estimation attributes to; null: this process
  std::optional<double> cpu_tdp_w;        // overrides the TDP table (also EDEN_CPU_TDP_W)
  /// Read machine-wide counters (RAPL packages and DRAM). A data-parallel run sets it on one
  /// rank per machine only: the others still learn whether RAPL exists, and estimate their own
  /// process only where it does not.
  bool machine_meters = true;
};

/// A meter kind EDEN knows.
struct MeterKind {
  std::string name;         // "nvml", "rapl", "estimated-cpu", "estimated-dram"
  Source source;            // what its components are labelled
  std::string description;  // one line, for --help
};

/// The meter kinds, in the order create_meters() tries them.
const std::vector<MeterKind>& list_meters();

/// Whether a meter kind is in use on this machine, and why not.
struct MeterStatus {
  std::string name;
  bool in_use = false;
  std::string detail;  // what it measures, or why it is not used
};

/// The meters chosen for this machine.
struct MeterSet {
  std::vector<std::unique_ptr<Meter>> meters;
  std::vector<MeterStatus> status;    // one per kind, list_meters() order
  std::vector<std::string> warnings;  // to show the user once: permission denied, unknown CPU, ...
};

/// Tries NVML and RAPL, then adds estimation for CPU packages and DRAM that RAPL does not
/// measure. Missing hardware is not an error: it shows in `status` (and `warnings` when the user
/// can fix it). Throws eden::Error only for invalid options (e.g. a non-positive TDP override).
MeterSet create_meters(const MeterOptions& options = {});

}  // namespace eden::energy
