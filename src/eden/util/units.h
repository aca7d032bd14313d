// Quantities with units as users type them: energy ("2kWh", "500 kJ"), mass of CO2 ("1.5kg",
// "300g") and durations ("3h", "1h30m", "90s"). A bare number is refused: the unit is the point.
// Also the one way messages print a size in bytes.
#pragma once

#include <cstdint>
#include <string>

namespace eden {

/// "2kWh" -> 7.2e6. Units: J, kJ, MJ, GJ, Wh, kWh, MWh (case of the prefix as written).
/// Throws eden::Error naming `what` (e.g. "--energy-budget") for anything else.
double parse_energy_j(const std::string& text, const std::string& what);

/// "1.5kg" -> 1.5, "300g" -> 0.3, "2t" -> 2000. Units: g, kg, t.
double parse_mass_kg(const std::string& text, const std::string& what);

/// "3h" -> 10800, "1h30m" -> 5400, "45min" -> 2700, "90s" -> 90, "2d". Units: s, m/min, h, d.
double parse_duration_s(const std::string& text, const std::string& what);

/// Bytes as messages print them: "3.1 KiB", "12.3 MiB", "1.50 GiB".
std::string bytes_text(int64_t bytes);

}  // namespace eden
