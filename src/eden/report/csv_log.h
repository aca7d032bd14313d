// Append-only CSV log (log.csv): one row per epoch, flushed as it is written, so an interrupted
// run loses nothing. Columns are fixed by the first row; later rows must have the same columns,
// or more (a run resumed by a newer EDEN): the file is then rewritten with them, once.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <utility>
#include <vector>

namespace eden::report {

using CsvRow = std::vector<std::pair<std::string, std::string>>;  // (column, value), in order

class CsvLog {
 public:
  /// Opens `path` for appending; an existing file's header must match the first row written, or
  /// be a subset of its columns (the old rows get empty values in the new ones).
  explicit CsvLog(std::filesystem::path path);
  /// Writes the header (if the file is new) and the row, then flushes and fsyncs.
  void append(const CsvRow& row);
  const std::filesystem::path& path() const { return path_; }

  /// Keeps the header and the rows whose integer column `key` is <= max_value (atomic rewrite).
  /// Used on resume to drop rows of epochs the checkpoint does not cover.
  static void truncate_after(const std::filesystem::path& path, const std::string& key,
                             int64_t max_value);

 private:
  std::filesystem::path path_;
  std::vector<std::string> header_;
};

/// Quotes a CSV field when it holds a comma, quote or newline (RFC 4180).
std::string csv_escape(const std::string& field);
/// Splits one CSV line (RFC 4180 quoting).
std::vector<std::string> csv_split(const std::string& line);
/// Reads a whole CSV file as header + rows.
std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> read_csv(
    const std::filesystem::path& path);

}  // namespace eden::report
