// One column of a CSV file (log.csv, power.csv) as text, for tests.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eden/report/csv_log.h"

namespace eden::testing {

/// The values of column `name` in row order (empty when the column is absent).
inline std::vector<std::string> csv_column(const std::filesystem::path& csv,
                                           const std::string& name) {
  auto [header, rows] = report::read_csv(csv);
  std::vector<std::string> out;
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] != name) continue;
    for (const auto& r : rows) out.push_back(r.at(i));
  }
  return out;
}

}  // namespace eden::testing
