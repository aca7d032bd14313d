// Estimation meters on this process: CPU time x W per busy thread, resident memory x W per GiB.
#include "eden/energy/estimated_meter.h"

#include <chrono>
#include <vector>

#include <gtest/gtest.h>

namespace eden::energy {
namespace {

// Spins until this process has used `cpu_s` more CPU time (at most 5 s of wall time, so a
// loaded machine slows the test down instead of failing it).
void burn_cpu(const ProcessScope& process, double cpu_s) {
  const double target_s = process.cpu_time_s() + cpu_s;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(5);
  volatile double x = 0.0;
  while (process.cpu_time_s() < target_s && std::chrono::steady_clock::now() < give_up) {
    for (int i = 0; i < 10000; ++i) x = x + 1.0;
  }
}

TEST(EstimatedCpuMeter, EnergyIsWattsPerThreadTimesCpuTime) {
  CpuPowerModel model;
  model.machine_tdp_w = 64.0;
  model.threads = 16;  // 4 W per busy thread
  auto process = ProcessScope::self();
  EstimatedCpuMeter meter(model, process);
  EXPECT_EQ(meter.components()[0].source, Source::estimated);
  EXPECT_EQ(meter.components()[0].key(), "cpu/package");
  const double cpu_before_s = process->cpu_time_s();
  EXPECT_EQ(meter.read_energy_j(0.0)[0], 0.0);
  burn_cpu(*process, 0.03);
  const double energy_j = meter.read_energy_j(0.05)[0];
  const double cpu_s = process->cpu_time_s() - cpu_before_s;
  EXPECT_GE(energy_j, 4.0 * 0.03);
  EXPECT_LE(energy_j, 4.0 * cpu_s + 1e-9);
}

TEST(EstimatedDramMeter, IntegratesResidentMemory) {
  auto process = ProcessScope::self();
  EstimatedDramMeter meter(process);
  EXPECT_EQ(meter.components()[0].key(), "memory/dram");
  const double resident_bytes = process->resident_bytes();
  ASSERT_GT(resident_bytes, 0.0);
  meter.read_energy_j(10.0);
  const double energy_j = meter.read_energy_j(12.0)[0];  // 2 s
  EXPECT_NEAR(energy_j, 2.0 * dram_power_w(resident_bytes), 0.5 * dram_power_w(resident_bytes));
  EXPECT_GT(energy_j, 0.0);
}

}  // namespace
}  // namespace eden::energy
