// Reports of a measured window with its CO2: the JSON that `eden measure --json` and the
// trainer's metrics.json use, and the human-readable table.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "eden/energy/carbon.h"
#include "eden/energy/measurement.h"

namespace eden::energy {

/// {"name", "duration_s", "energy_j", "energy_kwh", "co2_kg", "avg_power_w", "energy_source",
///  "covers", "components": [{"device", "domain", "source", "method", "energy_j",
///  "avg_power_w"}], "carbon": to_json(carbon)}
nlohmann::json energy_report_json(const Measurement& measurement, const CarbonEstimate& carbon);

/// A table: one line per component with its source and method, the total (with kWh and its
/// source), and CO2 with the intensity used. Ends with a note when any energy is estimated.
std::string format_energy_report(const Measurement& measurement, const CarbonEstimate& carbon);

/// "0.0123 J", "812.4 J", "6905436 J".
std::string format_joules(double energy_j);

}  // namespace eden::energy
