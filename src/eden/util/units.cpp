// Parsing of energy, CO2 mass and duration quantities (see units.h).
#include "eden/util/units.h"

#include <fmt/format.h>

#include <cctype>
#include <cmath>
#include <cstdlib>
#include <string_view>
#include <utility>
#include <vector>

#include "eden/util/check.h"

namespace eden {
namespace {

using UnitTable = std::vector<std::pair<std::string_view, double>>;

/// One "<number><unit>" term starting at `pos` (spaces allowed between them); advances `pos`.
/// Returns false when no number starts there.
bool parse_term(const std::string& text, size_t& pos, const UnitTable& units, double& value) {
  while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  if (pos >= text.size()) return false;
  const char* begin = text.c_str() + pos;
  char* end = nullptr;
  const double number = std::strtod(begin, &end);
  if (end == begin || !std::isfinite(number) || number < 0) return false;
  pos += static_cast<size_t>(end - begin);
  while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  size_t unit_end = pos;
  while (unit_end < text.size() && std::isalpha(static_cast<unsigned char>(text[unit_end]))) {
    ++unit_end;
  }
  const std::string_view unit(text.data() + pos, unit_end - pos);
  for (const auto& [name, scale] : units) {
    if (unit == name) {
      value = number * scale;
      pos = unit_end;
      return true;
    }
  }
  return false;
}

double parse_quantity(const std::string& text, const std::string& what, const UnitTable& units,
                      bool compound, const char* expected) {
  double total = 0.0;
  size_t pos = 0;
  int terms = 0;
  while (true) {
    double v = 0.0;
    const size_t before = pos;
    if (!parse_term(text, pos, units, v)) {
      pos = before;
      break;
    }
    total += v;
    ++terms;
    if (!compound) break;
  }
  while (pos < text.size() && std::isspace(static_cast<unsigned char>(text[pos]))) ++pos;
  EDEN_CHECK(terms > 0 && pos == text.size() && total > 0, what, ": '", text,
             "' is not a positive quantity with a unit; expected ", expected);
  return total;
}

}  // namespace

double parse_energy_j(const std::string& text, const std::string& what) {
  static const UnitTable units = {{"J", 1.0},     {"kJ", 1e3},    {"MJ", 1e6},    {"GJ", 1e9},
                                  {"Wh", 3600.0}, {"kWh", 3.6e6}, {"MWh", 3.6e9}, {"j", 1.0},
                                  {"kj", 1e3},    {"wh", 3600.0}, {"kwh", 3.6e6}, {"KWh", 3.6e6}};
  return parse_quantity(text, what, units, false,
                        "a number with J, kJ, MJ, Wh or kWh (e.g. 0.5kWh, 800kJ)");
}

double parse_mass_kg(const std::string& text, const std::string& what) {
  static const UnitTable units = {{"g", 1e-3}, {"kg", 1.0}, {"t", 1e3}};
  return parse_quantity(text, what, units, false, "a number with g, kg or t (e.g. 0.2kg, 150g)");
}

double parse_duration_s(const std::string& text, const std::string& what) {
  static const UnitTable units = {{"s", 1.0},    {"sec", 1.0},   {"min", 60.0}, {"m", 60.0},
                                  {"h", 3600.0}, {"hr", 3600.0}, {"d", 86400.0}};
  return parse_quantity(text, what, units, true,
                        "a duration with s, min (or m), h or d (e.g. 3h, 1h30m, 45min)");
}

std::string bytes_text(int64_t bytes) {
  const auto b = static_cast<double>(bytes);
  if (b >= 1024.0 * 1024 * 1024) return fmt::format("{:.2f} GiB", b / (1024.0 * 1024 * 1024));
  if (b >= 1024.0 * 1024) return fmt::format("{:.1f} MiB", b / (1024.0 * 1024));
  return fmt::format("{:.1f} KiB", b / 1024.0);
}

}  // namespace eden
