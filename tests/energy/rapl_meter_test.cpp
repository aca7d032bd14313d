// RAPL through a fake powercap tree: zone choice, wraps (two in one window, exact to the uJ),
// no double counting of nested domains, permission denied -> message and estimation fallback.
#include "eden/energy/rapl_meter.h"

#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cmath>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "eden/energy/meter_registry.h"
#include "eden/energy/monitor.h"
#include "eden/util/check.h"
#include "fake_powercap.h"

namespace eden::energy {
namespace {

using testing::FakePowercap;
using testing::ScopedEnv;

constexpr std::uint64_t kRangeUj = 1'000'000;  // a 1 J counter range makes wraps easy

// Two sockets, each with core, uncore (inside the package) and dram; plus psys (holds both).
void add_two_sockets(FakePowercap& tree, bool nested = false) {
  tree.add_zone("intel-rapl:0", "package-0", kRangeUj, 100, nested);
  tree.add_zone("intel-rapl:0:0", "core", kRangeUj, 100, nested);
  tree.add_zone("intel-rapl:0:1", "uncore", kRangeUj, 100, nested);
  tree.add_zone("intel-rapl:0:2", "dram", kRangeUj, 100, nested);
  tree.add_zone("intel-rapl:1", "package-1", kRangeUj, 100, nested);
  tree.add_zone("intel-rapl:1:0", "core", kRangeUj, 100, nested);
  tree.add_zone("intel-rapl:1:1", "dram", kRangeUj, 100, nested);
  tree.add_zone("intel-rapl:2", "psys", kRangeUj, 100, nested);
  tree.add_zone("intel-rapl-mmio:0", "package-0", kRangeUj, 100, nested);
}

std::vector<std::string> keys(const Meter& meter) {
  std::vector<std::string> out;
  for (const auto& c : meter.components()) out.push_back(c.key());
  return out;
}

TEST(RaplCounter, CountsEveryWrap) {
  RaplCounter counter(1000);
  EXPECT_EQ(counter.update(900), 0u);
  EXPECT_EQ(counter.update(950), 50u);
  EXPECT_EQ(counter.update(100), 50u + 50u + 100u);  // wrap 1
  EXPECT_EQ(counter.update(50), 200u + 900u + 50u);  // wrap 2
  EXPECT_EQ(counter.wraps(), 2u);
}

TEST(RaplMeter, ReadsPackagesAndDramOnly) {
  FakePowercap tree;
  add_two_sockets(tree);
  RaplOptions options;
  options.root = tree.root();
  RaplOpenResult result = RaplMeter::open(options);
  ASSERT_TRUE(result.meter) << result.why_not;
  EXPECT_EQ(keys(*result.meter),
            (std::vector<std::string>{"cpu0/package", "cpu0/dram", "cpu1/package", "cpu1/dram"}));
  for (const auto& c : result.meter->components()) EXPECT_EQ(c.source, Source::measured);
}

TEST(RaplMeter, FindsSubZonesNestedInsideThePackage) {
  FakePowercap tree;  // the /sys/devices/virtual/powercap/intel-rapl layout
  add_two_sockets(tree, /*nested=*/true);
  RaplOptions options;
  options.root = tree.root();
  RaplOpenResult result = RaplMeter::open(options);
  ASSERT_TRUE(result.meter) << result.why_not;
  EXPECT_EQ(result.meter->components().size(), 4u);
}

TEST(RaplMeter, AmdRaplAndDieNames) {
  FakePowercap tree;
  tree.add_zone("amd-rapl:0", "package-0-die-1", kRangeUj, 0);
  tree.add_zone("amd-rapl:0:0", "core", kRangeUj, 0);
  RaplOptions options;
  options.root = tree.root();
  RaplOpenResult result = RaplMeter::open(options);
  ASSERT_TRUE(result.meter) << result.why_not;
  EXPECT_EQ(keys(*result.meter), (std::vector<std::string>{"cpu0-die1/package"}));
}

TEST(RaplMeter, TwoWrapsInOneWindowExactToTheMicrojoule) {
  FakePowercap tree;
  tree.add_zone("intel-rapl:0", "package-0", kRangeUj, 900'000);
  tree.add_zone("intel-rapl:0:0", "core", kRangeUj, 0);
  ScopedEnv root(kPowercapRootEnv, tree.root());
  std::vector<std::unique_ptr<Meter>> meters;
  RaplOpenResult result = RaplMeter::open();  // root from EDEN_POWERCAP_ROOT
  ASSERT_TRUE(result.meter) << result.why_not;
  RaplMeter* rapl = result.meter.get();
  meters.push_back(std::move(result.meter));
  MonitorOptions options;
  options.sample_period_s = 0;  // the test polls
  options.print_warnings = false;
  EnergyMonitor monitor(std::move(meters), options);

  tree.set_energy("intel-rapl:0", 950'001);
  monitor.begin_window("w");                 // counter at 950,001
  tree.set_energy("intel-rapl:0", 400'000);  // wrap 1: +49,999 +400,000
  monitor.poll();
  tree.set_energy("intel-rapl:0:0", 999'999);  // core moves too; it must not be added
  tree.set_energy("intel-rapl:0", 300'000);    // wrap 2: +600,000 +300,000
  monitor.poll();
  tree.set_energy("intel-rapl:0", 350'123);  // +50,123
  const Measurement m = monitor.end_window("w");

  ASSERT_EQ(m.components.size(), 1u);
  const std::uint64_t expected_uj = 49'999 + 400'000 + 600'000 + 300'000 + 50'123;
  EXPECT_NEAR(m.components[0].energy_j, expected_uj * 1e-6, 0.5e-6);
  EXPECT_EQ(std::llround(m.components[0].energy_j * 1e6), static_cast<long long>(expected_uj));
  EXPECT_EQ(m.source(), TotalSource::measured);
  EXPECT_EQ(rapl->wraps(), (std::vector<std::uint64_t>{2}));
}

TEST(RaplMeter, PackageAndDramSummedNotCoreOrPsys) {
  FakePowercap tree;
  add_two_sockets(tree);
  RaplOptions rapl_options;
  rapl_options.root = tree.root();
  std::vector<std::unique_ptr<Meter>> meters;
  meters.push_back(RaplMeter::open(rapl_options).meter);
  ASSERT_TRUE(meters.back());
  MonitorOptions options;
  options.sample_period_s = 0;
  options.print_warnings = false;
  EnergyMonitor monitor(std::move(meters), options);
  monitor.begin_window("w");
  tree.set_energy("intel-rapl:0", 100 + 10'000);   // package 0: 10 mJ
  tree.set_energy("intel-rapl:0:0", 100 + 8'000);  // core: inside package 0
  tree.set_energy("intel-rapl:0:1", 100 + 1'000);  // uncore: inside package 0
  tree.set_energy("intel-rapl:0:2", 100 + 3'000);  // dram 0
  tree.set_energy("intel-rapl:1", 100 + 20'000);   // package 1
  tree.set_energy("intel-rapl:1:1", 100 + 4'000);  // dram 1
  tree.set_energy("intel-rapl:2", 100 + 40'000);   // psys: contains the packages
  tree.set_energy("intel-rapl-mmio:0", 100 + 10'000);
  const Measurement m = monitor.end_window("w");
  EXPECT_NEAR(m.energy_j(), 0.037, 1e-9);
  EXPECT_NEAR(m.energy_j("package"), 0.030, 1e-9);
  EXPECT_NEAR(m.energy_j("dram"), 0.007, 1e-9);
}

TEST(RaplMeter, PermissionDeniedGivesTheFix) {
  FakePowercap tree;
  add_two_sockets(tree);
  const std::string denied = tree.energy_path("intel-rapl:0");
  RaplOptions options;
  options.root = tree.root();
  // Root ignores file modes, so EACCES is injected through the reader.
  options.read_file = [denied](const std::string& path, std::string* content) {
    if (path == denied) return EACCES;
    std::ifstream in(path);
    std::stringstream text;
    text << in.rdbuf();
    *content = text.str();
    return 0;
  };
  RaplOpenResult result = RaplMeter::open(options);
  EXPECT_FALSE(result.meter);
  EXPECT_TRUE(result.permission_denied);
  EXPECT_NE(result.why_not.find("cannot read " + denied + ": permission denied"), std::string::npos)
      << result.why_not;
  EXPECT_NE(result.why_not.find("sudo chmod -R a+r " + tree.root() + "/intel-rapl:*"),
            std::string::npos)
      << result.why_not;
  EXPECT_NE(result.why_not.find("udev"), std::string::npos);
  EXPECT_NE(result.why_not.find("estimated instead"), std::string::npos);

  // The registry falls back to estimation and warns once.
  MeterOptions meter_options;
  meter_options.use_nvml = false;
  meter_options.rapl = options;
  MeterSet set = create_meters(meter_options);
  std::vector<std::string> names;
  for (const auto& meter : set.meters) names.push_back(meter->name());
  EXPECT_EQ(names, (std::vector<std::string>{"estimated-cpu", "estimated-dram"}));
  int permission_warnings = 0;
  for (const auto& w : set.warnings)
    permission_warnings += w.find("permission denied") != std::string::npos;
  EXPECT_EQ(permission_warnings, 1);
}

TEST(RaplMeter, RealPermissionDeniedWhenNotRoot) {
  if (geteuid() == 0) GTEST_SKIP() << "root reads any file; covered by PermissionDeniedGivesTheFix";
  FakePowercap tree;
  add_two_sockets(tree);
  ASSERT_EQ(chmod(tree.energy_path("intel-rapl:1").c_str(), 0), 0);
  RaplOptions options;
  options.root = tree.root();
  RaplOpenResult result = RaplMeter::open(options);
  EXPECT_FALSE(result.meter);
  EXPECT_TRUE(result.permission_denied) << result.why_not;
}

TEST(RaplMeter, AbsentTreeIsNotAnError) {
  RaplOptions options;
  options.root = "/nonexistent/powercap";
  RaplOpenResult result = RaplMeter::open(options);
  EXPECT_FALSE(result.meter);
  EXPECT_FALSE(result.permission_denied);
  EXPECT_NE(result.why_not.find("no powercap tree"), std::string::npos);

  MeterOptions meter_options;
  meter_options.use_nvml = false;
  meter_options.rapl = options;
  MeterSet set = create_meters(meter_options);
  for (const auto& w : set.warnings) EXPECT_EQ(w.find("[rapl]"), std::string::npos) << w;
}

TEST(RaplMeter, GarbageCounterIsReported) {
  FakePowercap tree;
  tree.add_zone("intel-rapl:0", "package-0", kRangeUj, 0);
  RaplOptions options;
  options.root = tree.root();
  RaplOpenResult result = RaplMeter::open(options);
  ASSERT_TRUE(result.meter);
  result.meter->read_energy_j(0);
  std::ofstream(tree.energy_path("intel-rapl:0")) << "not-a-number\n";
  EXPECT_THROW(result.meter->read_energy_j(1), Error);
}

}  // namespace
}  // namespace eden::energy
