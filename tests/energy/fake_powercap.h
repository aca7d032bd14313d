// Test fixture: a fake powercap tree in a temporary directory whose RAPL counters a test sets,
// plus a scoped environment variable. Header-only, used by the energy tests.
#pragma once

#include <stdlib.h>

#include <cstdint>
#include <filesystem>
#include <fstream>
#include <optional>
#include <string>

#include <gtest/gtest.h>

namespace eden::energy::testing {

/// Sets (or unsets, with nullopt) an environment variable and restores it on destruction.
class ScopedEnv {
 public:
  ScopedEnv(std::string name, const std::optional<std::string>& value) : name_(std::move(name)) {
    if (const char* old = std::getenv(name_.c_str())) old_ = old;
    if (value) {
      setenv(name_.c_str(), value->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ~ScopedEnv() {
    if (old_) {
      setenv(name_.c_str(), old_->c_str(), 1);
    } else {
      unsetenv(name_.c_str());
    }
  }
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::string name_;
  std::optional<std::string> old_;
};

/// A temporary directory, removed with its content on destruction.
class TempDir {
 public:
  TempDir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "eden-energy-XXXXXX").string();
    path_ = mkdtemp(pattern.data());
    EXPECT_FALSE(path_.empty());
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

/// A powercap tree laid out like /sys/class/powercap: zone directories at the top level
/// ("intel-rapl:0", "intel-rapl:0:2", ...), each with name, energy_uj, max_energy_range_uj.
class FakePowercap {
 public:
  /// Adds zone `zone` (e.g. "intel-rapl:0:2") named `name` (e.g. "dram"). With `nested`, a
  /// sub-zone goes inside its package's directory, as in /sys/devices/virtual/powercap.
  void add_zone(const std::string& zone, const std::string& name, std::uint64_t max_uj,
                std::uint64_t energy_uj, bool nested = false) {
    std::filesystem::path dir = zone_dir(zone, nested);
    std::filesystem::create_directories(dir);
    write(dir / "name", name + "\n");
    write(dir / "max_energy_range_uj", std::to_string(max_uj) + "\n");
    write(dir / "energy_uj", std::to_string(energy_uj) + "\n");
  }
  /// Sets a zone's counter (as the hardware would, modulo its range).
  void set_energy(const std::string& zone, std::uint64_t energy_uj, bool nested = false) {
    write(zone_dir(zone, nested) / "energy_uj", std::to_string(energy_uj) + "\n");
  }
  std::string energy_path(const std::string& zone, bool nested = false) const {
    return (zone_dir(zone, nested) / "energy_uj").string();
  }
  const std::string& root() const { return dir_.path(); }

 private:
  std::filesystem::path zone_dir(const std::string& zone, bool nested) const {
    std::filesystem::path root = dir_.path();
    const auto last_colon = zone.rfind(':');
    const auto first_colon = zone.find(':');
    if (nested && last_colon != first_colon) return root / zone.substr(0, last_colon) / zone;
    return root / zone;
  }
  static void write(const std::filesystem::path& path, const std::string& text) {
    std::ofstream out(path, std::ios::trunc);
    out << text;
    ASSERT_TRUE(out.good()) << path;
  }

  TempDir dir_;
};

}  // namespace eden::energy::testing
