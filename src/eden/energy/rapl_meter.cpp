// RAPL over powercap sysfs: zone discovery (package + dram, no nested domains), wrap counting,
// and the permission-denied message with its fix.
#include "eden/energy/rapl_meter.h"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <map>
#include <optional>
#include <regex>
#include <utility>

#include <fmt/format.h>

#include "eden/util/check.h"

namespace eden::energy {
namespace {

namespace fs = std::filesystem;

// Highest plausible power of one zone, W: bounds how fast a counter can wrap.
constexpr double kMaxZonePowerW = 1000.0;

int read_sysfs_file(const std::string& path, std::string* content) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return errno;
  content->clear();
  char buffer[256];
  for (;;) {
    const ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n < 0) {
      if (errno == EINTR) continue;
      const int error = errno;
      ::close(fd);
      return error;
    }
    if (n == 0) break;
    content->append(buffer, static_cast<std::size_t>(n));
  }
  ::close(fd);
  return 0;
}

std::string trim(std::string s) {
  while (!s.empty() && std::isspace(static_cast<unsigned char>(s.back()))) s.pop_back();
  const auto begin = s.find_first_not_of(" \t");
  return begin == std::string::npos ? "" : s.substr(begin);
}

std::uint64_t parse_uj(const std::string& text, const std::string& path) {
  const std::string value = trim(text);
  char* end = nullptr;
  errno = 0;
  const unsigned long long parsed = std::strtoull(value.c_str(), &end, 10);
  EDEN_CHECK(!value.empty() && end != value.c_str() && *end == '\0' && errno == 0, "[rapl] ", path,
             " holds '", value, "', not a counter in uJ; hint: is ", kPowercapRootEnv,
             " pointing at a powercap tree?");
  return parsed;
}

struct ZoneName {
  std::string prefix;  // "intel-rapl" or "amd-rapl"
  int index = 0;
  int sub_index = -1;  // -1 for a top-level zone
};

std::optional<ZoneName> parse_zone_name(const std::string& entry) {
  static const std::regex pattern(R"(^(intel-rapl|amd-rapl):(\d+)(?::(\d+))?$)");
  std::smatch m;
  if (!std::regex_match(entry, m, pattern)) return std::nullopt;
  ZoneName z;
  z.prefix = m[1];
  z.index = std::stoi(m[2]);
  if (m[3].matched) z.sub_index = std::stoi(m[3]);
  return z;
}

// "package-0" -> "cpu0", "package-1-die-0" -> "cpu1-die0"; nullopt for other names.
std::optional<std::string> package_device(const std::string& name) {
  static const std::regex pattern(R"(^package-(\d+)(?:-die-(\d+))?$)");
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) return std::nullopt;
  std::string device = "cpu" + std::string(m[1]);
  if (m[2].matched) device += "-die" + std::string(m[2]);
  return device;
}

}  // namespace

std::uint64_t RaplCounter::update(std::uint64_t raw_uj) {
  if (!started_) {
    started_ = true;
  } else if (raw_uj >= last_raw_uj_) {
    total_uj_ += raw_uj - last_raw_uj_;
  } else {
    ++wraps_;
    total_uj_ += (max_uj_ - std::min(last_raw_uj_, max_uj_)) + raw_uj;
  }
  last_raw_uj_ = raw_uj;
  return total_uj_;
}

std::string powercap_root(const std::string& root) {
  if (!root.empty()) return root;
  if (const char* env = std::getenv(kPowercapRootEnv); env != nullptr && *env != '\0') return env;
  return "/sys/class/powercap";
}

std::string rapl_permission_message(const std::string& path, const std::string& root,
                                    const std::string& prefix) {
  return fmt::format(
      "[rapl] cannot read {}: permission denied (energy_uj is readable by root only since the "
      "fix for CVE-2020-8694); CPU and DRAM energy will be estimated instead. hint: allow reads "
      "until the next reboot with `sudo chmod -R a+r {}/{}:*`, or for good with a udev rule in "
      "/etc/udev/rules.d/99-eden-rapl.rules: "
      "ACTION==\"add\", SUBSYSTEM==\"powercap\", RUN+=\"/bin/chmod a+r /sys%p/energy_uj\"",
      path, root, prefix);
}

RaplOpenResult RaplMeter::open(const RaplOptions& options) {
  RaplOpenResult result;
  const std::string root = powercap_root(options.root);
  auto read_file = options.read_file ? options.read_file : read_sysfs_file;
  std::error_code ec;
  if (!fs::is_directory(root, ec)) {
    result.why_not =
        fmt::format("no powercap tree at {} (no RAPL driver, a VM, or not Linux)", root);
    return result;
  }

  // Group the zones by prefix; each prefix is a separate driver exposing the same packages.
  // Sub-zones are linked at the root in /sys/class/powercap but only nested inside their package
  // in /sys/devices/virtual/powercap/intel-rapl (a bind mount may give either): look in both.
  std::map<std::string, std::vector<std::pair<ZoneName, std::string>>> by_prefix;
  std::map<std::string, bool> seen;  // entry name -> found
  auto scan = [&](const std::string& dir, const std::string& relative_dir) {
    std::error_code scan_ec;
    for (const auto& entry : fs::directory_iterator(dir, scan_ec)) {
      const std::string entry_name = entry.path().filename().string();
      auto zone = parse_zone_name(entry_name);
      if (!zone || seen[entry_name]) continue;
      seen[entry_name] = true;
      by_prefix[zone->prefix].push_back({*zone, relative_dir + entry_name});
    }
  };
  scan(root, "");
  std::vector<std::string> top_level;  // collected first: scan() inserts into by_prefix
  for (const auto& [prefix_name, zones] : by_prefix) {
    for (const auto& [zone, relative] : zones) {
      if (zone.sub_index < 0) top_level.push_back(relative);
    }
  }
  for (const auto& relative : top_level) {
    scan(fmt::format("{}/{}", root, relative), fmt::format("{}/", relative));
  }
  std::string prefix;
  for (const char* candidate : {"intel-rapl", "amd-rapl"}) {
    if (by_prefix.count(candidate) > 0) {
      prefix = candidate;
      break;
    }
  }
  if (prefix.empty()) {
    result.why_not = fmt::format("no intel-rapl or amd-rapl zone under {}", root);
    return result;
  }
  auto& entries = by_prefix[prefix];
  std::sort(entries.begin(), entries.end(), [](const auto& a, const auto& b) {
    return std::pair(a.first.index, a.first.sub_index) <
           std::pair(b.first.index, b.first.sub_index);
  });

  // Returns false (and fills `result`) when a file cannot be read.
  auto read_text = [&](const std::string& path, std::string* text) {
    const int error = read_file(path, text);
    if (error == 0) return true;
    if (error == EACCES || error == EPERM) {
      result.permission_denied = true;
      result.why_not = rapl_permission_message(path, root, prefix);
    } else {
      result.why_not = fmt::format("[rapl] cannot read {}: {}", path, std::strerror(error));
    }
    return false;
  };

  std::vector<RaplZone> zones;
  std::map<int, std::string> package_devices;  // top-level index -> device
  std::vector<std::string> skipped;
  for (const auto& [zone_name, relative] : entries) {
    const std::string dir = fmt::format("{}/{}", root, relative);
    const std::string entry_name = fs::path(relative).filename().string();
    std::string name;
    if (!read_text(dir + "/name", &name)) return result;
    name = trim(name);
    RaplZone zone{dir, entry_name, name, "", "", 0};
    if (zone_name.sub_index < 0) {
      auto device = package_device(name);
      if (!device) {  // psys contains the packages: reading both would count twice
        skipped.push_back(fmt::format("{} ({})", entry_name, name));
        continue;
      }
      zone.device = *device;
      zone.domain = "package";
      package_devices[zone_name.index] = *device;
    } else {
      auto parent = package_devices.find(zone_name.index);
      if (name != "dram" || parent == package_devices.end()) {  // core, uncore: inside the package
        skipped.push_back(fmt::format("{} ({})", entry_name, name));
        continue;
      }
      zone.device = parent->second;
      zone.domain = "dram";
    }
    std::string text;
    if (!read_text(dir + "/max_energy_range_uj", &text)) return result;
    zone.max_energy_range_uj = parse_uj(text, dir + "/max_energy_range_uj");
    EDEN_CHECK(zone.max_energy_range_uj > 0, "[rapl] ", dir,
               "/max_energy_range_uj is 0: wraps cannot be counted; hint: check the powercap "
               "driver");
    if (!read_text(dir + "/energy_uj", &text)) return result;
    parse_uj(text, dir + "/energy_uj");
    zones.push_back(zone);
  }
  if (zones.empty()) {
    result.why_not =
        fmt::format("no package zone under {} ({} zones skipped)", root, skipped.size());
    return result;
  }
  result.meter.reset(new RaplMeter(root, std::move(zones), std::move(read_file)));
  return result;
}

RaplMeter::RaplMeter(std::string root, std::vector<RaplZone> zones,
                     std::function<int(const std::string&, std::string*)> read_file)
    : root_(std::move(root)), zones_(std::move(zones)), read_file_(std::move(read_file)) {
  for (const auto& zone : zones_) {
    components_.push_back({zone.device, zone.domain, Source::measured, "rapl"});
    counters_.emplace_back(zone.max_energy_range_uj);
  }
}

std::uint64_t RaplMeter::read_raw_uj(const RaplZone& zone) const {
  const std::string path = zone.path + "/energy_uj";
  std::string text;
  const int error = read_file_(path, &text);
  EDEN_CHECK(error == 0, "[rapl] cannot read ", path, ": ", std::strerror(error),
             "; hint: the file was readable when the meter opened; was the powercap driver "
             "unloaded or its permissions changed?");
  return parse_uj(text, path);
}

std::vector<double> RaplMeter::read_energy_j(double /*now_s*/) {
  std::vector<double> energy_j(zones_.size());
  for (std::size_t i = 0; i < zones_.size(); ++i) {
    energy_j[i] = static_cast<double>(counters_[i].update(read_raw_uj(zones_[i]))) * 1e-6;
  }
  return energy_j;
}

nlohmann::json RaplMeter::describe() const {
  nlohmann::json zones = nlohmann::json::array();
  for (const auto& zone : zones_) {
    zones.push_back({{"zone", zone.zone},
                     {"name", zone.name},
                     {"device", zone.device},
                     {"domain", zone.domain},
                     {"max_energy_range_uj", zone.max_energy_range_uj}});
  }
  return {{"meter", name()},
          {"root", root_},
          {"zones", zones},
          {"max_safe_poll_period_s", max_safe_poll_period_s()},
          {"scope", "whole socket (all processes)"}};
}

double RaplMeter::max_safe_poll_period_s() const {
  double period_s = 1e9;
  for (const auto& zone : zones_) {
    period_s = std::min(period_s, zone.max_energy_range_uj * 1e-6 / kMaxZonePowerW / 2.0);
  }
  return period_s;
}

std::vector<std::uint64_t> RaplMeter::wraps() const {
  std::vector<std::uint64_t> out;
  for (const auto& counter : counters_) out.push_back(counter.wraps());
  return out;
}

}  // namespace eden::energy
