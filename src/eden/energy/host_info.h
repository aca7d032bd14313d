// Facts about the host that reports and estimation need: CPU model and topology, clock, RAM, OS.
#pragma once

#include <string>

namespace eden::energy {

/// The CPU as /proc/cpuinfo and sysfs describe it.
struct CpuInfo {
  std::string model;         // "model name", e.g. "Intel(R) Xeon(R) W-2125 CPU @ 4.00GHz"
  int sockets = 1;           // distinct "physical id" values
  int cores = 0;             // physical cores, all sockets
  int threads = 0;           // logical CPUs
  double clock_mhz = 0.0;    // max clock (cpufreq) if known, else the current "cpu MHz"
  std::string clock_source;  // "cpufreq max", "cpuinfo current" or "" (unknown)
};

/// Parses the text of /proc/cpuinfo (x86 layout; other layouts give what they can).
CpuInfo parse_cpuinfo(const std::string& text);

/// Reads /proc/cpuinfo and /sys/devices/system/cpu/cpu0/cpufreq/cpuinfo_max_freq.
CpuInfo probe_cpu();

/// Total RAM, bytes (/proc/meminfo MemTotal; 0 if unknown).
double total_ram_bytes();

/// "Debian GNU/Linux 12 (bookworm), Linux 6.1.0-18-amd64 x86_64".
std::string os_description();

}  // namespace eden::energy
