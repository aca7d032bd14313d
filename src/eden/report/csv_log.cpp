// CsvLog: append + fsync per row; header checked against existing files.
#include "eden/report/csv_log.h"

#include <fcntl.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <sstream>

#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::report {

std::string csv_escape(const std::string& field) {
  if (field.find_first_of(",\"\n\r") == std::string::npos) return field;
  std::string out = "\"";
  for (char c : field) {
    if (c == '"') out += '"';
    out += c;
  }
  return out + "\"";
}

std::vector<std::string> csv_split(const std::string& line) {
  std::vector<std::string> out(1);
  bool quoted = false;
  for (size_t i = 0; i < line.size(); ++i) {
    const char c = line[i];
    if (quoted) {
      if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
        out.back() += '"';
        ++i;
      } else if (c == '"') {
        quoted = false;
      } else {
        out.back() += c;
      }
    } else if (c == '"') {
      quoted = true;
    } else if (c == ',') {
      out.emplace_back();
    } else if (c != '\r') {
      out.back() += c;
    }
  }
  return out;
}

std::pair<std::vector<std::string>, std::vector<std::vector<std::string>>> read_csv(
    const std::filesystem::path& path) {
  std::istringstream in(read_file(path));
  std::string line;
  std::vector<std::string> header;
  std::vector<std::vector<std::string>> rows;
  if (std::getline(in, line)) header = csv_split(line);
  while (std::getline(in, line)) {
    if (!line.empty()) rows.push_back(csv_split(line));
  }
  return {header, rows};
}

CsvLog::CsvLog(std::filesystem::path path) : path_(std::move(path)) {
  if (std::filesystem::exists(path_)) header_ = read_csv(path_).first;
}

void CsvLog::append(const CsvRow& row) {
  std::vector<std::string> columns;
  for (const auto& [k, v] : row) columns.push_back(k);
  std::string text;
  if (header_.empty()) {
    header_ = columns;
    for (size_t i = 0; i < columns.size(); ++i) text += (i ? "," : "") + csv_escape(columns[i]);
    text += "\n";
  } else {
    EDEN_CHECK(header_ == columns, path_.string(),
               ": the existing log has different columns; hint: resume with the EDEN version "
               "that started the run, or start a new run directory");
  }
  for (size_t i = 0; i < row.size(); ++i) text += (i ? "," : "") + csv_escape(row[i].second);
  text += "\n";
  const int fd = ::open(path_.c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  EDEN_CHECK(fd >= 0, "cannot open ", path_.string(), " for appending: ", std::strerror(errno));
  const ssize_t written = ::write(fd, text.data(), text.size());
  const int err = errno;
  ::fsync(fd);
  ::close(fd);
  EDEN_CHECK(written == static_cast<ssize_t>(text.size()), "cannot append to ", path_.string(),
             ": ", std::strerror(err));
}

void CsvLog::truncate_after(const std::filesystem::path& path, const std::string& key,
                            int64_t max_value) {
  if (!std::filesystem::exists(path)) return;
  auto [header, rows] = read_csv(path);
  size_t col = header.size();
  for (size_t i = 0; i < header.size(); ++i) {
    if (header[i] == key) col = i;
  }
  EDEN_CHECK(col < header.size(), path.string(), ": no column '", key, "'");
  std::string text;
  for (size_t i = 0; i < header.size(); ++i) text += (i ? "," : "") + csv_escape(header[i]);
  text += "\n";
  for (const auto& r : rows) {
    if (col < r.size() && std::stoll(r[col]) > max_value) continue;
    for (size_t i = 0; i < r.size(); ++i) text += (i ? "," : "") + csv_escape(r[i]);
    text += "\n";
  }
  write_file_atomic(path, text);
}

}  // namespace eden::report
