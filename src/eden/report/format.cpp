// Number formatting for reports (see format.h).
#include "eden/report/format.h"

#include <fmt/format.h>

#include <cmath>

namespace eden::report {
namespace {

constexpr const char* kNotAvailable = "n/a";

}  // namespace

std::string format_thousands(double value, int decimals) {
  if (!std::isfinite(value)) return kNotAvailable;
  std::string text = fmt::format("{:.{}f}", std::fabs(value), decimals);
  const auto dot = text.find('.');
  std::string integer = text.substr(0, dot);
  const std::string fraction = dot == std::string::npos ? "" : text.substr(dot);
  std::string grouped;
  for (std::size_t i = 0; i < integer.size(); ++i) {
    if (i > 0 && (integer.size() - i) % 3 == 0) grouped += ',';
    grouped += integer[i];
  }
  // "-0" would read as a negative number that rounds to zero; print it as 0.
  const bool negative = value < 0 && std::stod(text) != 0.0;
  return (negative ? "-" : "") + grouped + fraction;
}

std::string format_fixed(double value, int decimals) {
  if (!std::isfinite(value)) return kNotAvailable;
  std::string text = fmt::format("{:.{}f}", value, decimals);
  if (text[0] == '-' && std::stod(text) == 0.0) text.erase(0, 1);
  return text;
}

std::string format_scientific(double value, int digits) {
  if (!std::isfinite(value)) return kNotAvailable;
  return fmt::format("{:.{}e}", value, digits - 1);
}

std::string format_quantity(double value) {
  if (!std::isfinite(value)) return kNotAvailable;
  if (value == 0.0) return "0";
  if (std::fabs(value) >= 1e-3) return format_thousands(value, 4);
  return format_scientific(value, 5);
}

std::string format_energy_j(double joules) {
  return format_thousands(joules, std::fabs(joules) < 1000.0 ? 1 : 0);
}

std::string format_duration(double seconds) {
  if (!std::isfinite(seconds)) return kNotAvailable;
  if (seconds < 60.0) return fmt::format("{:.1f} s", seconds);
  return fmt::format("{} s ({:.2f} h)", format_thousands(seconds), seconds / 3600.0);
}

std::string format_accuracy(double fraction) {
  if (!std::isfinite(fraction)) return kNotAvailable;
  return fmt::format("{:.4f} ({:.2f}%)", fraction, fraction * 100.0);
}

std::string format_signed(double value, int decimals) {
  if (!std::isfinite(value)) return kNotAvailable;
  const std::string text = format_fixed(value, decimals);
  if (text[0] == '-' || std::stod(text) == 0.0) return text;
  return "+" + text;
}

}  // namespace eden::report
