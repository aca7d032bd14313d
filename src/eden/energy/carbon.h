// CO2 from energy: kWh x PUE x carbon intensity of the grid, with the intensity from a country
// table (Our World in Data via CodeCarbon), an explicit value, or the world default.
#pragma once

#include <optional>
#include <string>

#include <nlohmann/json.hpp>

namespace eden::energy {

/// World average carbon intensity, gCO2eq/kWh: CodeCarbon's default (IEA, 2019).
constexpr double kWorldCarbonIntensityGPerKwh = 475.0;
constexpr double kJoulesPerKwh = 3.6e6;

/// How to choose the carbon intensity and PUE. At most one of country_iso3 and
/// intensity_g_per_kwh may be set; neither gives the world default.
struct CarbonOptions {
  std::string country_iso3;                   // e.g. "FRA" (any case)
  std::optional<double> intensity_g_per_kwh;  // explicit gCO2eq/kWh
  double pue = 1.0;                           // data-centre power usage effectiveness, >= 1
};

/// The carbon intensity in use and where it came from.
struct CarbonIntensity {
  double g_per_kwh = kWorldCarbonIntensityGPerKwh;
  std::string source = "world-default";  // "world-default", "country" or "explicit"
  std::string country_iso3;              // for "country"
  std::string country_name;              // for "country"
  int year = 2019;                       // year of the figure (0 for "explicit")
  std::string reference;                 // where the figure comes from, for reports
};

/// Resolves the intensity; throws eden::Error for an unknown country, a negative intensity, or
/// both a country and an explicit value.
CarbonIntensity resolve_carbon_intensity(const CarbonOptions& options);

/// Looks a country up in the bundled table (ISO 3166-1 alpha-3, any case); nullopt if absent.
std::optional<CarbonIntensity> country_carbon_intensity(const std::string& iso3);

/// Energy and CO2 of a run.
struct CarbonEstimate {
  double energy_j = 0.0;    // measured at the hardware (IT energy, before PUE)
  double energy_kwh = 0.0;  // energy_j x pue / 3.6e6: the facility's, as CodeCarbon reports it
  double pue = 1.0;
  double co2_kg = 0.0;  // energy_kwh x g_per_kwh / 1000
  CarbonIntensity intensity;
};

inline double joules_to_kwh(double energy_j) {
  return energy_j / kJoulesPerKwh;
}

/// kg CO2eq of `energy_j` at `g_per_kwh` and `pue`.
inline double co2_kg(double energy_j, double g_per_kwh, double pue = 1.0) {
  return joules_to_kwh(energy_j) * pue * g_per_kwh / 1000.0;
}

/// Resolves the options (see resolve_carbon_intensity) and applies them to `energy_j`.
CarbonEstimate estimate_carbon(double energy_j, const CarbonOptions& options = {});

/// {"energy_kwh", "co2_kg", "pue", "carbon_intensity_g_per_kwh", "carbon_intensity_source",
///  "country_iso3", "country_name", "carbon_intensity_year", "carbon_intensity_reference"}
nlohmann::json to_json(const CarbonEstimate& estimate);

}  // namespace eden::energy
