// NVML through the fake library: counter path, power-sampling path, a GPU without the counter,
// NVML missing, NVML errors (at init, and mid-run from the sampler thread), CUDA_VISIBLE_DEVICES.
#include "eden/energy/nvml_meter.h"

#include <chrono>
#include <cmath>
#include <thread>

#include <gtest/gtest.h>

#include "eden/energy/meter_registry.h"
#include "eden/energy/monitor.h"
#include "eden/util/check.h"
#include "fake_nvml_control.h"

namespace eden::energy {
namespace {

using testing::FakeNvml;
using testing::ScopedEnv;

constexpr int kGpuIsLost = 15;
constexpr int kDriverNotLoaded = 9;

NvmlOptions all_devices() {
  NvmlOptions options;
  options.read_environment = false;  // ignore the CUDA_VISIBLE_DEVICES of the test process
  return options;
}

TEST(NvmlMeter, CounterPath) {
  FakeNvml fake;
  fake.set_device_count(2);
  auto meter = NvmlMeter::open(all_devices());
  ASSERT_EQ(meter->components().size(), 2u);
  EXPECT_EQ(meter->components()[0].key(), "gpu0/gpu");
  EXPECT_EQ(meter->components()[1].method, "nvml-energy-counter");
  EXPECT_EQ(meter->components()[1].source, Source::measured);
  const GpuInfo& gpu = meter->gpus()[0];
  EXPECT_EQ(gpu.name, "Fake GPU 0");
  EXPECT_EQ(gpu.uuid, "GPU-fake-9-0000-0000-000000000000");
  EXPECT_DOUBLE_EQ(gpu.power_limit_w, 250.0);
  EXPECT_DOUBLE_EQ(gpu.default_power_limit_w, 300.0);
  EXPECT_EQ(gpu.memory_total_bytes, 16ull << 30);
  EXPECT_EQ(meter->driver_version(), "550.54.15-fake");

  fake.set_energy_mj(0, 5'000);
  fake.set_energy_mj(1, 7'000);
  EXPECT_EQ(meter->read_energy_j(0.0), (std::vector<double>{0.0, 0.0}));
  fake.set_energy_mj(0, 5'000 + 123'456);  // +123.456 J
  fake.set_energy_mj(1, 7'000 + 1);
  const auto energy_j = meter->read_energy_j(1.0);
  EXPECT_NEAR(energy_j[0], 123.456, 1e-9);
  EXPECT_NEAR(energy_j[1], 0.001, 1e-12);
  // A counter that goes down is a driver reload: the counter restarted from 0.
  fake.set_energy_mj(0, 2'000);
  EXPECT_NEAR(meter->read_energy_j(2.0)[0], 125.456, 1e-9);
}

TEST(NvmlMeter, PowerSamplingIntegratesAKnownCurveWithin1Percent) {
  FakeNvml fake;
  fake.set_counter_supported(0, false);  // pre-Volta: no energy counter
  auto meter = NvmlMeter::open(all_devices());
  ASSERT_EQ(meter->components().size(), 1u);
  EXPECT_EQ(meter->components()[0].method, "nvml-power-sampling");

  // P(t) = 200 + 100 sin(t) W over 0..10 s, read every 100 ms.
  auto power_w = [](double t) { return 200.0 + 100.0 * std::sin(t); };
  const double exact_j = 200.0 * 10.0 + 100.0 * (1.0 - std::cos(10.0));
  double energy_j = 0.0;
  for (int i = 0; i <= 100; ++i) {
    const double t = i * 0.1;
    fake.set_power_mw(0, static_cast<unsigned>(std::lround(power_w(t) * 1000.0)));
    energy_j = meter->read_energy_j(t)[0];
  }
  EXPECT_NEAR(energy_j, exact_j, 0.01 * exact_j);
  EXPECT_NEAR(energy_j, exact_j, 0.001 * exact_j);  // trapezoid at 10 Hz does much better
}

TEST(NvmlMeter, GpuWithNeitherCounterNorPowerIsReported) {
  FakeNvml fake;
  fake.set_device_count(2);
  fake.set_counter_supported(1, false);
  fake.set_power_supported(1, false);
  auto meter = NvmlMeter::open(all_devices());
  ASSERT_EQ(meter->gpus().size(), 2u);
  ASSERT_EQ(meter->components().size(), 1u);
  EXPECT_EQ(meter->gpus()[1].method, "");
  EXPECT_NE(meter->gpus()[1].why_not_measured.find("Not Supported"), std::string::npos);
  ASSERT_EQ(meter->warnings().size(), 1u);
  EXPECT_NE(meter->warnings()[0].find("gpu1 (Fake GPU 1)"), std::string::npos);
}

TEST(NvmlMeter, MissingLibrary) {
  ScopedEnv env(kNvmlLibraryEnv, std::string("/nonexistent/libnvidia-ml.so.1"));
  try {
    NvmlMeter::open(all_devices());
    FAIL() << "expected eden::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("[nvml] cannot load /nonexistent/libnvidia-ml.so.1"),
              std::string::npos)
        << e.what();
  }
  // The registry carries on without GPUs, and warns because the path was set explicitly.
  MeterOptions options;
  options.use_rapl = false;
  options.nvml = all_devices();
  MeterSet set = create_meters(options);
  ASSERT_FALSE(set.status.empty());
  EXPECT_EQ(set.status[0].name, "nvml");
  EXPECT_FALSE(set.status[0].in_use);
  int load_warnings = 0;
  for (const auto& w : set.warnings) load_warnings += w.find("[nvml] cannot load") == 0;
  EXPECT_EQ(load_warnings, 1);
}

TEST(NvmlMeter, InitErrorIsReportedAndBalanced) {
  FakeNvml fake;
  fake.set_init_error(kDriverNotLoaded);
  try {
    NvmlMeter::open(all_devices());
    FAIL() << "expected eden::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("nvmlInit_v2 failed"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("Driver Not Loaded (code 9)"), std::string::npos);
  }
  EXPECT_EQ(fake.init_count(), 0);
  fake.set_init_error(0);
  {
    auto meter = NvmlMeter::open(all_devices());
    EXPECT_EQ(fake.init_count(), 1);
  }
  EXPECT_EQ(fake.init_count(), 0);  // nvmlShutdown on destruction
}

TEST(NvmlMeter, ReadErrorThrowsNamingTheGpu) {
  FakeNvml fake;
  auto meter = NvmlMeter::open(all_devices());
  meter->read_energy_j(0.0);
  fake.set_read_error(0, kGpuIsLost);
  try {
    meter->read_energy_j(1.0);
    FAIL() << "expected eden::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("gpu0 (Fake GPU 0)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("GPU is lost"), std::string::npos) << e.what();
  }
}

TEST(NvmlMeter, SamplerThreadErrorIsRethrownOnTheCallersThread) {
  FakeNvml fake;
  std::vector<std::unique_ptr<Meter>> meters;
  meters.push_back(NvmlMeter::open(all_devices()));
  MonitorOptions options;
  options.sample_period_s = 0.002;
  options.print_warnings = false;
  EnergyMonitor monitor(std::move(meters), options);
  monitor.begin_window("w");
  fake.set_read_error(0, kGpuIsLost);
  // The sampler hits the error within a few periods; wait for it (bounded).
  bool thrown = false;
  for (int i = 0; i < 500 && !thrown; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
    try {
      monitor.begin_window("probe" + std::to_string(i));
    } catch (const Error& e) {
      thrown = true;
      EXPECT_NE(std::string(e.what()).find("GPU is lost"), std::string::npos);
    }
  }
  EXPECT_TRUE(thrown);
  fake.set_read_error(0, 0);
  // Thrown once and cleared (the GPU is back): the window can be closed.
  Measurement m;
  for (int i = 0; i < 3; ++i) {  // the sampler may have stored one more error meanwhile
    try {
      m = monitor.end_window("w");
      break;
    } catch (const Error&) {
    }
  }
  EXPECT_EQ(m.name, "w");
}

TEST(NvmlMeter, MonitorWindowsWithCounter) {
  FakeNvml fake;
  fake.set_energy_mj(0, 1'000'000);
  MonitorOptions options;
  options.sample_period_s = 0;
  options.print_warnings = false;
  options.meters.use_rapl = false;
  options.meters.nvml = all_devices();
  int syncs = 0;
  options.sync = [&syncs] { ++syncs; };
  EnergyMonitor monitor(options);
  ASSERT_FALSE(monitor.components().empty());
  EXPECT_EQ(monitor.components()[0].key(), "gpu0/gpu");
  monitor.begin_window("epoch1");
  fake.set_energy_mj(0, 1'000'000 + 50'000);
  monitor.begin_window("epoch1.eval");
  fake.set_energy_mj(0, 1'000'000 + 80'000);
  const Measurement eval = monitor.end_window("epoch1.eval");
  const Measurement epoch = monitor.end_window("epoch1");
  EXPECT_EQ(syncs, 4);
  EXPECT_DOUBLE_EQ(eval.components[0].energy_j, 30.0);
  EXPECT_DOUBLE_EQ(epoch.components[0].energy_j, 80.0);
  EXPECT_EQ(epoch.source(), TotalSource::mixed);  // GPU measured + CPU/DRAM estimated
  EXPECT_NE(epoch.covers().find("gpu0/gpu (measured)"), std::string::npos);
}

TEST(GpuSelection, CudaVisibleDevices) {
  const std::vector<std::string> uuids = {"GPU-aaaa-1111", "GPU-bbbb-2222", "GPU-abcd-3333"};
  using Indices = std::vector<unsigned>;
  EXPECT_EQ(select_visible_gpus(std::nullopt, uuids).nvml_indices, (Indices{0, 1, 2}));
  EXPECT_EQ(select_visible_gpus(std::string("2,0"), uuids).nvml_indices, (Indices{2, 0}));
  EXPECT_EQ(select_visible_gpus(std::string("GPU-bbbb-2222"), uuids).nvml_indices, (Indices{1}));
  EXPECT_EQ(select_visible_gpus(std::string("GPU-bb, 0"), uuids).nvml_indices, (Indices{1, 0}));
  EXPECT_TRUE(select_visible_gpus(std::string(""), uuids).nvml_indices.empty());
  auto hidden = select_visible_gpus(std::string("-1"), uuids);
  EXPECT_TRUE(hidden.nvml_indices.empty());
  EXPECT_TRUE(hidden.warnings.empty());
  // Like CUDA, the list stops at the first invalid entry.
  auto invalid = select_visible_gpus(std::string("1,7,0"), uuids);
  EXPECT_EQ(invalid.nvml_indices, (Indices{1}));
  ASSERT_EQ(invalid.warnings.size(), 1u);
  EXPECT_NE(invalid.warnings[0].find("'7'"), std::string::npos);
  auto ambiguous = select_visible_gpus(std::string("GPU-a"), uuids);
  EXPECT_TRUE(ambiguous.nvml_indices.empty());
  EXPECT_NE(ambiguous.warnings[0].find("several"), std::string::npos);
  auto mig = select_visible_gpus(std::string("MIG-1234,0"), uuids);
  EXPECT_EQ(mig.nvml_indices, (Indices{0}));
  EXPECT_NE(mig.warnings[0].find("MIG"), std::string::npos);
}

TEST(NvmlMeter, CudaVisibleDevicesMapsByUuid) {
  FakeNvml fake;
  fake.set_device_count(3);
  // Fake UUIDs run backwards: NVML index 2 has "GPU-fake-7-...".
  NvmlOptions options;
  options.cuda_visible_devices = "GPU-fake-7";
  auto meter = NvmlMeter::open(options);
  ASSERT_EQ(meter->gpus().size(), 1u);
  EXPECT_EQ(meter->gpus()[0].index, 0);
  EXPECT_EQ(meter->gpus()[0].nvml_index, 2u);
  EXPECT_EQ(meter->gpus()[0].name, "Fake GPU 2");
  ScopedEnv env("CUDA_VISIBLE_DEVICES", std::string("1"));
  NvmlOptions from_env;
  auto meter2 = NvmlMeter::open(from_env);
  ASSERT_EQ(meter2->gpus().size(), 1u);
  EXPECT_EQ(meter2->gpus()[0].name, "Fake GPU 1");
}

}  // namespace
}  // namespace eden::energy
