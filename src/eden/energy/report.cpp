// JSON and text reports of a measurement and its carbon estimate.
#include "eden/energy/report.h"

#include <fmt/format.h>

namespace eden::energy {

std::string format_joules(double energy_j) {
  if (energy_j < 10.0) return fmt::format("{:.4f} J", energy_j);
  if (energy_j < 1e6) return fmt::format("{:.1f} J", energy_j);
  return fmt::format("{:.0f} J", energy_j);
}

nlohmann::json energy_report_json(const Measurement& measurement, const CarbonEstimate& carbon) {
  nlohmann::json components = nlohmann::json::array();
  for (const auto& c : measurement.components) {
    components.push_back(
        {{"device", c.component.device},
         {"domain", c.component.domain},
         {"source", to_string(c.component.source)},
         {"method", c.component.method},
         {"energy_j", c.energy_j},
         {"avg_power_w", measurement.duration_s > 0 ? c.energy_j / measurement.duration_s : 0.0}});
  }
  return {{"name", measurement.name},
          {"duration_s", measurement.duration_s},
          {"energy_j", measurement.energy_j()},
          {"energy_kwh", carbon.energy_kwh},
          {"co2_kg", carbon.co2_kg},
          {"avg_power_w", measurement.avg_power_w()},
          {"energy_source", to_string(measurement.source())},
          {"covers", measurement.covers()},
          {"components", components},
          {"carbon", to_json(carbon)}};
}

std::string format_energy_report(const Measurement& measurement, const CarbonEstimate& carbon) {
  std::string out;
  out += fmt::format("  {:<14} {:.3f} s\n", "duration", measurement.duration_s);
  out += fmt::format("  {:<14} {:<10} {:<22} {:>16} {:>12}\n", "component", "source", "method",
                     "energy", "avg power");
  for (const auto& c : measurement.components) {
    out += fmt::format("  {:<14} {:<10} {:<22} {:>16} {:>10.3f} W\n", c.component.key(),
                       to_string(c.component.source), c.component.method, format_joules(c.energy_j),
                       measurement.duration_s > 0 ? c.energy_j / measurement.duration_s : 0.0);
  }
  out += fmt::format("  {:<14} {:<10} {:<22} {:>16} {:>10.3f} W\n", "total",
                     to_string(measurement.source()),
                     carbon.pue == 1.0 ? fmt::format("{:.4g} kWh", carbon.energy_kwh)
                                       : fmt::format("{:.4g} kWh x PUE", carbon.energy_kwh),
                     format_joules(measurement.energy_j()), measurement.avg_power_w());
  std::string intensity = fmt::format("{:g} g/kWh", carbon.intensity.g_per_kwh);
  if (carbon.intensity.source == "country") {
    intensity += fmt::format(" ({}, {})", carbon.intensity.country_iso3, carbon.intensity.year);
  } else if (carbon.intensity.source == "world-default") {
    intensity += " (world default, IEA 2019)";
  } else {
    intensity += " (given)";
  }
  out += fmt::format("  {:<14} {:.4g} kg CO2eq at {}, PUE {:g}\n", "co2", carbon.co2_kg, intensity,
                     carbon.pue);
  const TotalSource source = measurement.source();
  if (source == TotalSource::estimated || source == TotalSource::mixed) {
    out +=
        "  note: estimated components come from a model, not a hardware counter; such "
        "estimates can be off by up to ~40% (docs/energy.md)\n";
  }
  return out;
}

}  // namespace eden::energy
