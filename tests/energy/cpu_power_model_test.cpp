// The estimation model: TDP lookup, CPU/DRAM arithmetic, /proc parsing.
#include "eden/energy/cpu_power_model.h"

#include <unistd.h>

#include <gtest/gtest.h>

#include "eden/energy/host_info.h"
#include "eden/energy/process_usage.h"
#include "eden/util/check.h"
#include "fake_powercap.h"

namespace eden::energy {
namespace {

using testing::ScopedEnv;

TEST(CpuPowerModel, NormalizesProcCpuinfoNames) {
  EXPECT_EQ(normalize_cpu_name("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz"), "intel xeon gold 6248");
  EXPECT_EQ(normalize_cpu_name("AMD EPYC 7763 64-Core Processor"), "amd epyc 7763");
  EXPECT_EQ(normalize_cpu_name("AMD Ryzen 7 5800H with Radeon Graphics"), "amd ryzen 7 5800h");
}

TEST(CpuPowerModel, FindsTdpInCodeCarbonTable) {
  auto xeon = find_cpu_tdp("Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz");
  ASSERT_TRUE(xeon.has_value());
  EXPECT_EQ(xeon->table_name, "Intel Xeon Gold 6248");
  EXPECT_DOUBLE_EQ(xeon->tdp_w, 150.0);
  // 6248R is a different part (205 W): whole words must match.
  auto xeon_r = find_cpu_tdp("Intel(R) Xeon(R) Gold 6248R CPU @ 3.00GHz");
  ASSERT_TRUE(xeon_r.has_value());
  EXPECT_DOUBLE_EQ(xeon_r->tdp_w, 205.0);
  auto epyc = find_cpu_tdp("AMD EPYC 7763 64-Core Processor");
  ASSERT_TRUE(epyc.has_value());
  EXPECT_DOUBLE_EQ(epyc->tdp_w, 280.0);
  auto laptop = find_cpu_tdp("11th Gen Intel(R) Core(TM) i7-1165G7 @ 2.80GHz");
  ASSERT_TRUE(laptop.has_value());
  EXPECT_EQ(laptop->table_name, "Intel Core i7-1165G7");
  // A name without a model number (as some VMs report) matches nothing.
  EXPECT_FALSE(find_cpu_tdp("AMD EPYC").has_value());
  EXPECT_FALSE(find_cpu_tdp("").has_value());
}

TEST(CpuPowerModel, Arithmetic) {
  ScopedEnv no_override(kCpuTdpEnv, std::nullopt);
  CpuInfo cpu;
  cpu.model = "Intel(R) Xeon(R) Gold 6248 CPU @ 2.50GHz";
  cpu.sockets = 2;
  cpu.threads = 80;
  const CpuPowerModel model = make_cpu_power_model(cpu);
  EXPECT_FALSE(model.is_default);
  EXPECT_DOUBLE_EQ(model.machine_tdp_w, 300.0);  // 150 W x 2 sockets
  EXPECT_DOUBLE_EQ(model.watts_per_busy_thread(), 3.75);
  // 10 threads busy for 4 s = 40 CPU-seconds: 300 W x (40 / (4 x 80)) x 4 s = 150 J.
  EXPECT_DOUBLE_EQ(model.energy_j(40.0), 150.0);
  EXPECT_DOUBLE_EQ(model.power_w(0.125), 37.5);
}

TEST(CpuPowerModel, UnknownCpuGetsDocumentedDefault) {
  ScopedEnv no_override(kCpuTdpEnv, std::nullopt);
  CpuInfo cpu;
  cpu.model = "AMD EPYC";
  cpu.threads = 2;
  const CpuPowerModel model = make_cpu_power_model(cpu);
  EXPECT_TRUE(model.is_default);
  EXPECT_DOUBLE_EQ(model.machine_tdp_w, 2 * kDefaultWattsPerThread);
  EXPECT_DOUBLE_EQ(model.energy_j(1.0), kDefaultWattsPerThread);
  EXPECT_NE(model.basis.find("not in the TDP table"), std::string::npos);
}

TEST(CpuPowerModel, Overrides) {
  CpuInfo cpu;
  cpu.model = "AMD EPYC";
  cpu.threads = 4;
  {
    ScopedEnv env(kCpuTdpEnv, std::string("100"));
    const CpuPowerModel model = make_cpu_power_model(cpu);
    EXPECT_FALSE(model.is_default);
    EXPECT_DOUBLE_EQ(model.machine_tdp_w, 100.0);
    EXPECT_DOUBLE_EQ(make_cpu_power_model(cpu, 40.0).machine_tdp_w, 40.0);  // argument wins
  }
  ScopedEnv bad(kCpuTdpEnv, std::string("lots"));
  EXPECT_THROW(make_cpu_power_model(cpu), Error);
  EXPECT_THROW(make_cpu_power_model(cpu, -5.0), Error);
}

TEST(CpuPowerModel, DramWattsPerGib) {
  EXPECT_DOUBLE_EQ(dram_power_w(8.0 * 1024 * 1024 * 1024), 3.0);  // 3 W per 8 GiB
  EXPECT_DOUBLE_EQ(dram_power_w(0.0), 0.0);
}

TEST(HostInfo, ParsesCpuinfo) {
  const std::string text =
      "processor\t: 0\nmodel name\t: Intel(R) Xeon(R) W-2125 CPU @ 4.00GHz\nphysical id\t: 0\n"
      "cpu MHz\t\t: 3999.000\ncpu cores\t: 4\n\n"
      "processor\t: 1\nmodel name\t: Intel(R) Xeon(R) W-2125 CPU @ 4.00GHz\nphysical id\t: 0\n"
      "cpu MHz\t\t: 1200.000\ncpu cores\t: 4\n\n"
      "processor\t: 2\nmodel name\t: Intel(R) Xeon(R) W-2125 CPU @ 4.00GHz\nphysical id\t: 1\n"
      "cpu cores\t: 4\n\n";
  const CpuInfo cpu = parse_cpuinfo(text);
  EXPECT_EQ(cpu.model, "Intel(R) Xeon(R) W-2125 CPU @ 4.00GHz");
  EXPECT_EQ(cpu.sockets, 2);
  EXPECT_EQ(cpu.cores, 8);
  EXPECT_EQ(cpu.threads, 3);
  EXPECT_DOUBLE_EQ(cpu.clock_mhz, 3999.0);
}

TEST(ProcessUsage, ParsesProcStat) {
  // comm with spaces and ')' must not shift the fields.
  const std::string text =
      "1234 (my (odd) proc) S 1 1234 1234 0 -1 4194560 100 0 0 0 250 50 30 20 20 0 1 0 100 "
      "123456789 2560 18446744073709551615";
  auto stat = parse_proc_stat(text);
  ASSERT_TRUE(stat.has_value());
  const double tick_s = 1.0 / static_cast<double>(sysconf(_SC_CLK_TCK));
  EXPECT_NEAR(stat->cpu_time_s, 300 * tick_s, 1e-12);
  EXPECT_NEAR(stat->children_cpu_time_s, 50 * tick_s, 1e-12);
  EXPECT_DOUBLE_EQ(stat->resident_bytes, 2560.0 * sysconf(_SC_PAGESIZE));
  EXPECT_FALSE(parse_proc_stat("garbage").has_value());
}

}  // namespace
}  // namespace eden::energy
