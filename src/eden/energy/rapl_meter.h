// CPU package and DRAM energy from RAPL through the Linux powercap sysfs tree (Intel, and AMD
// Zen since Linux 5.8), with counter wraparound counted by frequent reads.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <string>

#include "eden/energy/meter.h"

namespace eden::energy {

/// Environment variable that replaces /sys/class/powercap (tests, bind mounts in containers).
constexpr const char* kPowercapRootEnv = "EDEN_POWERCAP_ROOT";

/// Counts the wraps of one RAPL counter, which runs up to max_energy_range_uj then restarts at 0.
///
/// Every decrease is one wrap, so the counter must be read more often than it wraps (minutes at
/// full load on real parts; the monitor reads every 100 ms by default). The wrap modulus is taken
/// as max_energy_range_uj, like Zeus and CodeCarbon; the hardware's is one counter unit
/// (~15-61 uJ) more, a relative error below 1e-9 per wrap.
class RaplCounter {
 public:
  explicit RaplCounter(std::uint64_t max_energy_range_uj) : max_uj_(max_energy_range_uj) {}

  /// Feeds a raw energy_uj reading; returns the energy since the first reading, uJ.
  std::uint64_t update(std::uint64_t raw_uj);
  std::uint64_t wraps() const { return wraps_; }

 private:
  std::uint64_t max_uj_;
  bool started_ = false;
  std::uint64_t last_raw_uj_ = 0;
  std::uint64_t total_uj_ = 0;
  std::uint64_t wraps_ = 0;
};

/// A powercap zone the meter reads: a package, or the dram sub-zone of a package.
struct RaplZone {
  std::string path;    // zone directory, e.g. "/sys/class/powercap/intel-rapl:0"
  std::string zone;    // "intel-rapl:0", "intel-rapl:0:2"
  std::string name;    // the zone's `name` file: "package-0", "dram"
  std::string device;  // "cpu0" (package 0), "cpu1-die0" (package 1, die 0)
  std::string domain;  // "package" or "dram"
  std::uint64_t max_energy_range_uj = 0;
};

struct RaplOptions {
  /// powercap root; empty: $EDEN_POWERCAP_ROOT, else /sys/class/powercap.
  std::string root;
  /// Reads a whole sysfs file into `content`; returns 0 or an errno value. Empty: the real file
  /// system. Tests replace it to simulate EACCES, which root (and so CI) never sees from chmod.
  std::function<int(const std::string& path, std::string* content)> read_file;
};

class RaplMeter;

/// The outcome of RaplMeter::open: a meter, or why there is none.
struct RaplOpenResult {
  std::unique_ptr<RaplMeter> meter;
  std::string why_not;             // empty when meter is set
  bool permission_denied = false;  // why_not is the permission message with its fix
};

/// Reads the package zones of every socket and their dram sub-zones. Never reads zones that
/// contain or are contained in those ("psys" holds the packages; "core" and "uncore" sit inside
/// a package; "intel-rapl-mmio" duplicates the package), so no joule is counted twice.
class RaplMeter : public Meter {
 public:
  /// Finds the zones (intel-rapl:*, else amd-rapl:*) under the root and reads each once.
  static RaplOpenResult open(const RaplOptions& options = {});

  std::string name() const override { return "rapl"; }
  const std::vector<Component>& components() const override { return components_; }
  /// Reads every zone's energy_uj; throws eden::Error naming the file when one fails.
  std::vector<double> read_energy_j(double now_s) override;
  nlohmann::json describe() const override;

  const std::vector<RaplZone>& zones() const { return zones_; }
  /// Longest read period that still sees every wrap at 1 kW per zone (with a 2x margin), s.
  double max_safe_poll_period_s() const;
  /// Wraps seen so far, per zone.
  std::vector<std::uint64_t> wraps() const;

 private:
  RaplMeter(std::string root, std::vector<RaplZone> zones,
            std::function<int(const std::string&, std::string*)> read_file);
  std::uint64_t read_raw_uj(const RaplZone& zone) const;

  std::string root_;
  std::vector<RaplZone> zones_;
  std::function<int(const std::string&, std::string*)> read_file_;
  std::vector<Component> components_;
  std::vector<RaplCounter> counters_;
};

/// The powercap root in effect: `root` if set, else $EDEN_POWERCAP_ROOT, else /sys/class/powercap.
std::string powercap_root(const std::string& root = "");

/// The message for an unreadable RAPL file, with the fix (chmod now, a udev rule for good).
std::string rapl_permission_message(const std::string& path, const std::string& root,
                                    const std::string& prefix);

}  // namespace eden::energy
