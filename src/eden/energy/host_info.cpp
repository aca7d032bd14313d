// Reads CPU, RAM and OS facts from /proc, /sys, /etc/os-release and uname.
#include "eden/energy/host_info.h"

#include <sys/utsname.h>
#include <unistd.h>

#include <fstream>
#include <map>
#include <set>
#include <sstream>

namespace eden::energy {
namespace {

std::string trim(const std::string& s) {
  const auto begin = s.find_first_not_of(" \t\r\n");
  if (begin == std::string::npos) return "";
  const auto end = s.find_last_not_of(" \t\r\n");
  return s.substr(begin, end - begin + 1);
}

std::string slurp(const std::string& path) {
  std::ifstream file(path);
  std::stringstream text;
  if (file) text << file.rdbuf();
  return text.str();
}

}  // namespace

CpuInfo parse_cpuinfo(const std::string& text) {
  CpuInfo info;
  std::set<std::string> physical_ids;
  std::map<std::string, int> cores_per_socket;  // physical id -> "cpu cores"
  std::string physical_id = "0";
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    const std::string value = trim(line.substr(colon + 1));
    try {
      if (key == "processor") {
        ++info.threads;
        physical_id = "0";
      } else if (key == "model name" && info.model.empty()) {
        info.model = value;
      } else if (key == "physical id") {
        physical_id = value;
        physical_ids.insert(value);
      } else if (key == "cpu cores") {
        cores_per_socket[physical_id] = std::stoi(value);
      } else if (key == "cpu MHz" && info.clock_mhz == 0.0) {
        info.clock_mhz = std::stod(value);
        info.clock_source = "cpuinfo current";
      }
    } catch (const std::exception&) {
      // A malformed number leaves the field at its default.
    }
  }
  info.sockets = physical_ids.empty() ? 1 : static_cast<int>(physical_ids.size());
  for (const auto& [id, cores] : cores_per_socket) info.cores += cores;
  if (info.cores == 0) info.cores = info.threads;
  return info;
}

CpuInfo probe_cpu() {
  CpuInfo info = parse_cpuinfo(slurp("/proc/cpuinfo"));
  const long online = sysconf(_SC_NPROCESSORS_ONLN);
  if (info.threads == 0 && online > 0) info.threads = static_cast<int>(online);
  if (info.cores == 0) info.cores = info.threads;
  const std::string max_khz = trim(slurp("/sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq"));
  if (!max_khz.empty()) {
    try {
      info.clock_mhz = std::stod(max_khz) / 1000.0;
      info.clock_source = "cpufreq max";
    } catch (const std::exception&) {
    }
  }
  return info;
}

double total_ram_bytes() {
  std::istringstream in(slurp("/proc/meminfo"));
  for (std::string key; in >> key;) {
    if (key == "MemTotal:") {
      double kib = 0.0;
      in >> kib;
      return kib * 1024.0;
    }
    in.ignore(1 << 16, '\n');
  }
  return 0.0;
}

std::string os_description() {
  std::string pretty;
  std::istringstream release(slurp("/etc/os-release"));
  for (std::string line; std::getline(release, line);) {
    if (line.rfind("PRETTY_NAME=", 0) == 0) {
      pretty = line.substr(12);
      if (pretty.size() >= 2 && pretty.front() == '"') pretty = pretty.substr(1, pretty.size() - 2);
    }
  }
  utsname uts{};
  std::string kernel;
  if (uname(&uts) == 0) {
    kernel = std::string(uts.sysname) + " " + uts.release + " " + uts.machine;
  }
  if (pretty.empty()) return kernel;
  return kernel.empty() ? pretty : pretty + ", " + kernel;
}

}  // namespace eden::energy
