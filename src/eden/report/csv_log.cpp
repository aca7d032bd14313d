// CsvLog: append + fsync per row; header checked against existing files.
#include "eden/report/csv_log.h"

#include <algorithm>

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

namespace {

std::string csv_line(const std::vector<std::string>& fields) {
  std::string text;
  for (size_t i = 0; i < fields.size(); ++i) text += (i ? "," : "") + csv_escape(fields[i]);
  return text + "\n";
}

/// The rows of a log written with `old` columns, rewritten for `now` (a superset: the new
/// columns are empty in the old rows), atomically.
void widen_log(const std::filesystem::path& path, const std::vector<std::string>& old,
               const std::vector<std::string>& now) {
  std::vector<size_t> from(now.size(), old.size());
  for (size_t i = 0; i < now.size(); ++i) {
    for (size_t k = 0; k < old.size(); ++k) {
      if (old[k] == now[i]) from[i] = k;
    }
  }
  std::string text = csv_line(now);
  for (const auto& r : read_csv(path).second) {
    std::vector<std::string> fields(now.size());
    for (size_t i = 0; i < now.size(); ++i) {
      if (from[i] < r.size()) fields[i] = r[from[i]];
    }
    text += csv_line(fields);
  }
  write_file_atomic(path, text);
}

}  // namespace

CsvLog::CsvLog(std::filesystem::path path) : path_(std::move(path)) {
  if (std::filesystem::exists(path_)) header_ = read_csv(path_).first;
}

void CsvLog::append(const CsvRow& row) {
  std::vector<std::string> columns;
  for (const auto& [k, v] : row) columns.push_back(k);
  std::string text;
  if (header_.empty()) {
    header_ = columns;
    text = csv_line(columns);
  } else if (header_ != columns) {
    // A log begun by an EDEN with fewer columns gains the new ones (empty in its old rows).
    const bool superset = std::all_of(header_.begin(), header_.end(), [&](const std::string& c) {
      return std::find(columns.begin(), columns.end(), c) != columns.end();
    });
    EDEN_CHECK(superset, path_.string(),
               ": the existing log has columns this EDEN does not write; hint: resume with the "
               "EDEN version that started the run, or start a new run directory");
    widen_log(path_, header_, columns);
    header_ = columns;
  }
  std::vector<std::string> values;
  for (const auto& [k, v] : row) values.push_back(v);
  text += csv_line(values);
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
  std::string text = csv_line(header);
  for (const auto& r : rows) {
    if (col < r.size() && std::stoll(r[col]) > max_value) continue;
    text += csv_line(r);
  }
  write_file_atomic(path, text);
}

}  // namespace eden::report
