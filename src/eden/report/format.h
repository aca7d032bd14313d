// Number formatting for reports: thousands separators, fixed and scientific notation, durations.
// Locale-independent, so cards and golden files read the same everywhere.
#pragma once

#include <string>

namespace eden::report {

/// 380392115.2 -> "380,392,115"; with decimals 2: "1,234.57". NaN -> "n/a".
std::string format_thousands(double value, int decimals = 0);

/// Fixed notation with `decimals` digits: 0.885 -> "0.8850" (decimals 4). NaN -> "n/a".
std::string format_fixed(double value, int decimals);

/// Scientific notation with `digits` significant digits: 1.93576e-10 -> "1.9358e-10" (digits 5).
std::string format_scientific(double value, int digits);

/// A quantity that may span many orders of magnitude (kg of CO2, kWh): fixed with 4 decimals
/// from 0.001 up, scientific with 5 significant digits below. 0 -> "0".
std::string format_quantity(double value);

/// Joules with thousands separators: whole joules from 1,000 J up, one decimal below ("21.8").
std::string format_energy_j(double joules);

/// Seconds as "10,333 s (2.87 h)"; under a minute just "5.6 s".
std::string format_duration(double seconds);

/// Accuracy fraction as "0.8850 (88.50%)".
std::string format_accuracy(double fraction);

/// A signed difference with an explicit sign: -7.23 -> "-7.23", 0.5 -> "+0.50".
std::string format_signed(double value, int decimals);

}  // namespace eden::report
