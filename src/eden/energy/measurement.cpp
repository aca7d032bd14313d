// Totals, provenance and JSON of a measurement window.
#include "eden/energy/measurement.h"

namespace eden::energy {

std::string to_string(Source source) {
  return source == Source::measured ? "measured" : "estimated";
}

std::string to_string(TotalSource source) {
  switch (source) {
    case TotalSource::none:
      return "none";
    case TotalSource::measured:
      return "measured";
    case TotalSource::estimated:
      return "estimated";
    case TotalSource::mixed:
      return "mixed";
  }
  return "none";
}

double Measurement::energy_j() const {
  double total_j = 0.0;
  for (const auto& c : components) total_j += c.energy_j;
  return total_j;
}

double Measurement::energy_j(const std::string& domain) const {
  double total_j = 0.0;
  for (const auto& c : components) {
    if (c.component.domain == domain) total_j += c.energy_j;
  }
  return total_j;
}

double Measurement::avg_power_w() const {
  return duration_s > 0.0 ? energy_j() / duration_s : 0.0;
}

TotalSource Measurement::source() const {
  bool any_measured = false;
  bool any_estimated = false;
  for (const auto& c : components) {
    (c.component.source == Source::measured ? any_measured : any_estimated) = true;
  }
  if (any_measured && any_estimated) return TotalSource::mixed;
  if (any_measured) return TotalSource::measured;
  if (any_estimated) return TotalSource::estimated;
  return TotalSource::none;
}

std::string Measurement::covers() const {
  std::string text;
  for (const auto& c : components) {
    if (!text.empty()) text += ", ";
    text += c.component.key() + " (" + to_string(c.component.source) + ")";
  }
  return text;
}

nlohmann::json to_json(const Measurement& measurement) {
  nlohmann::json components = nlohmann::json::array();
  for (const auto& c : measurement.components) {
    components.push_back({{"device", c.component.device},
                          {"domain", c.component.domain},
                          {"source", to_string(c.component.source)},
                          {"method", c.component.method},
                          {"energy_j", c.energy_j}});
  }
  return {{"name", measurement.name},
          {"start_s", measurement.start_s},
          {"duration_s", measurement.duration_s},
          {"energy_j", measurement.energy_j()},
          {"avg_power_w", measurement.avg_power_w()},
          {"energy_source", to_string(measurement.source())},
          {"components", components}};
}

}  // namespace eden::energy
