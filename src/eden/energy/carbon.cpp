// Carbon intensity resolution and the kWh -> kg CO2eq arithmetic.
#include "eden/energy/carbon.h"

#include <algorithm>
#include <cctype>

#include <fmt/format.h>

#include "eden/energy/codecarbon_tables.h"
#include "eden/util/check.h"

namespace eden::energy {

std::optional<CarbonIntensity> country_carbon_intensity(const std::string& iso3) {
  std::string wanted;
  for (unsigned char c : iso3) wanted += static_cast<char>(std::toupper(c));
  for (const auto& entry : country_carbon_table()) {
    if (wanted != entry.iso3) continue;
    CarbonIntensity intensity;
    intensity.g_per_kwh = entry.g_per_kwh;
    intensity.source = "country";
    intensity.country_iso3 = entry.iso3;
    intensity.country_name = entry.name;
    intensity.year = entry.year;
    intensity.reference = fmt::format(
        "{} ({}), {} electricity mix, Our World in Data via CodeCarbon global_energy_mix.json",
        entry.name, entry.iso3, entry.year);
    return intensity;
  }
  return std::nullopt;
}

CarbonIntensity resolve_carbon_intensity(const CarbonOptions& options) {
  EDEN_CHECK(options.country_iso3.empty() || !options.intensity_g_per_kwh,
             "[carbon] both a country (", options.country_iso3, ") and a carbon intensity (",
             options.intensity_g_per_kwh.value_or(0.0),
             " g/kWh) were given; hint: give only one of --country and --carbon-intensity");
  if (options.intensity_g_per_kwh) {
    const double g = *options.intensity_g_per_kwh;
    EDEN_CHECK(g >= 0.0, "[carbon] carbon intensity ", g,
               " g/kWh is negative; hint: give gCO2eq per kWh, e.g. 56 (France) or 475 (world)");
    CarbonIntensity intensity;
    intensity.g_per_kwh = g;
    intensity.source = "explicit";
    intensity.year = 0;
    intensity.reference = "given by the user";
    return intensity;
  }
  if (!options.country_iso3.empty()) {
    auto intensity = country_carbon_intensity(options.country_iso3);
    EDEN_CHECK(intensity.has_value(), "[carbon] unknown country code '", options.country_iso3,
               "'; hint: use an ISO 3166-1 alpha-3 code such as FRA, USA, DEU or IND (",
               country_carbon_table().size, " countries are bundled), or --carbon-intensity");
    return *intensity;
  }
  CarbonIntensity intensity;
  intensity.reference = "world average 475 gCO2eq/kWh (IEA 2019), CodeCarbon's default";
  return intensity;
}

CarbonEstimate estimate_carbon(double energy_j, const CarbonOptions& options) {
  EDEN_CHECK(options.pue >= 1.0, "[carbon] PUE ", options.pue,
             " is below 1; hint: PUE is facility energy / IT energy, 1.0 for no overhead, "
             "typically 1.1-1.6 in data centres");
  CarbonEstimate estimate;
  estimate.energy_j = energy_j;
  estimate.energy_kwh = joules_to_kwh(energy_j) * options.pue;
  estimate.pue = options.pue;
  estimate.intensity = resolve_carbon_intensity(options);
  estimate.co2_kg = co2_kg(energy_j, estimate.intensity.g_per_kwh, options.pue);
  return estimate;
}

nlohmann::json to_json(const CarbonEstimate& estimate) {
  return {{"energy_kwh", estimate.energy_kwh},
          {"co2_kg", estimate.co2_kg},
          {"pue", estimate.pue},
          {"carbon_intensity_g_per_kwh", estimate.intensity.g_per_kwh},
          {"carbon_intensity_source", estimate.intensity.source},
          {"country_iso3", estimate.intensity.country_iso3},
          {"country_name", estimate.intensity.country_name},
          {"carbon_intensity_year", estimate.intensity.year},
          {"carbon_intensity_reference", estimate.intensity.reference}};
}

}  // namespace eden::energy
