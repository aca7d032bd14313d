// EnergyMonitor with a scripted meter: nested windows, errors, the sync hook, the power
// timeline and power.csv, the sampler thread.
#include "eden/energy/monitor.h"

#include <atomic>
#include <chrono>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

#include "eden/util/check.h"
#include "fake_powercap.h"

namespace eden::energy {
namespace {

// Energy grows at a fixed power per component with the time the monitor passes in.
class LinearMeter : public Meter {
 public:
  explicit LinearMeter(std::vector<double> power_w, Source source = Source::measured)
      : power_w_(std::move(power_w)) {
    for (std::size_t i = 0; i < power_w_.size(); ++i) {
      components_.push_back({"dev" + std::to_string(i), "gpu", source, "linear"});
    }
  }
  std::string name() const override { return "linear"; }
  const std::vector<Component>& components() const override { return components_; }
  std::vector<double> read_energy_j(double now_s) override {
    if (fail_.load()) throw Error("[linear] scripted failure");
    if (fail_off_thread_.load() && std::this_thread::get_id() != owner_) {
      throw Error("[linear] scripted failure on the sampler thread");
    }
    if (!started_) start_s_ = now_s;
    started_ = true;
    std::vector<double> out;
    for (double p : power_w_) out.push_back(p * (now_s - start_s_));
    ++reads_;
    return out;
  }
  nlohmann::json describe() const override { return {{"meter", name()}}; }

  std::atomic<bool> fail_{false};
  std::atomic<bool> fail_off_thread_{false};  // fail only when read from another thread
  std::atomic<int> reads_{0};
  const std::thread::id owner_ = std::this_thread::get_id();

 private:
  std::vector<double> power_w_;
  std::vector<Component> components_;
  bool started_ = false;
  double start_s_ = 0.0;
};

MonitorOptions manual() {
  MonitorOptions options;
  options.sample_period_s = 0;
  options.print_warnings = false;
  return options;
}

std::vector<std::unique_ptr<Meter>> one(std::unique_ptr<Meter> meter) {
  std::vector<std::unique_ptr<Meter>> meters;
  meters.push_back(std::move(meter));
  return meters;
}

TEST(EnergyMonitor, NestedWindowsAndPowerFromDuration) {
  EnergyMonitor monitor(one(std::make_unique<LinearMeter>(std::vector<double>{100.0, 10.0})),
                        manual());
  monitor.begin_window("epoch");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  monitor.begin_window("epoch.eval");
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  const Measurement eval = monitor.end_window("epoch.eval");
  const Measurement epoch = monitor.end_window("epoch");
  EXPECT_GT(epoch.duration_s, eval.duration_s);
  EXPECT_GE(eval.start_s, epoch.start_s);
  ASSERT_EQ(epoch.components.size(), 2u);
  EXPECT_NEAR(epoch.components[0].energy_j, 100.0 * epoch.duration_s, 1e-9);
  EXPECT_NEAR(epoch.components[1].energy_j, 10.0 * epoch.duration_s, 1e-9);
  EXPECT_NEAR(eval.avg_power_w(), 110.0, 1e-6);
  EXPECT_EQ(epoch.name, "epoch");
  EXPECT_EQ(epoch.source(), TotalSource::measured);
}

TEST(EnergyMonitor, WindowMisuseThrows) {
  EnergyMonitor monitor(one(std::make_unique<LinearMeter>(std::vector<double>{1.0})), manual());
  EXPECT_THROW(monitor.end_window("never"), Error);
  monitor.begin_window("w");
  EXPECT_TRUE(monitor.is_window_open("w"));
  EXPECT_THROW(monitor.begin_window("w"), Error);
  monitor.cancel_window("w");
  EXPECT_FALSE(monitor.is_window_open("w"));
  EXPECT_THROW(monitor.end_window("w"), Error);
}

TEST(EnergyMonitor, SyncHookRunsBeforeEachBoundary) {
  auto options = manual();
  std::vector<std::string> events;
  options.sync = [&events] { events.push_back("sync"); };
  EnergyMonitor monitor(one(std::make_unique<LinearMeter>(std::vector<double>{1.0})), options);
  monitor.begin_window("w");
  monitor.end_window("w");
  EXPECT_EQ(events, (std::vector<std::string>{"sync", "sync"}));
}

TEST(EnergyMonitor, TimelineAndPowerCsv) {
  EnergyMonitor monitor(one(std::make_unique<LinearMeter>(std::vector<double>{50.0, 5.0})),
                        manual());
  for (int i = 0; i < 3; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    monitor.poll();
  }
  PowerTimeline timeline = monitor.power_timeline();
  ASSERT_EQ(timeline.size(), 3u);
  for (std::size_t s = 0; s < timeline.size(); ++s) {
    EXPECT_NEAR(timeline.power_w(s, 0), 50.0, 1e-3);
    EXPECT_NEAR(timeline.power_w(s, 1), 5.0, 1e-3);
    if (s > 0) {
      EXPECT_GT(timeline.time_s(s), timeline.time_s(s - 1));
    }
  }
  std::ostringstream csv;
  timeline.write_csv(csv);
  std::istringstream lines(csv.str());
  std::string header, first;
  std::getline(lines, header);
  std::getline(lines, first);
  EXPECT_EQ(header, "time_s,device,domain,source,power_w");
  EXPECT_NE(first.find(",dev0,gpu,measured,50.000"), std::string::npos) << first;

  // take_power_timeline empties the monitor's copy; append_csv writes the header once.
  testing::TempDir dir;
  const std::string path = dir.path() + "/power.csv";
  monitor.take_power_timeline().append_csv(path);
  EXPECT_TRUE(monitor.power_timeline().empty());
  monitor.poll();
  monitor.take_power_timeline().append_csv(path);
  std::ifstream in(path);
  int rows = 0;
  int headers = 0;
  for (std::string line; std::getline(in, line);) {
    ++rows;
    headers += line.rfind("time_s,", 0) == 0;
  }
  EXPECT_EQ(headers, 1);
  EXPECT_EQ(rows, 1 + 4 * 2);
}

TEST(EnergyMonitor, SamplerThreadPollsAndStops) {
  auto meter = std::make_unique<LinearMeter>(std::vector<double>{1.0});
  LinearMeter* raw = meter.get();
  MonitorOptions options = manual();
  options.sample_period_s = 0.002;
  {
    EnergyMonitor monitor(one(std::move(meter)), options);
    for (int i = 0; i < 500 && monitor.power_timeline().size() < 3; ++i) {
      std::this_thread::sleep_for(std::chrono::milliseconds(2));
    }
    EXPECT_GE(monitor.power_timeline().size(), 3u);
    EXPECT_GE(raw->reads_.load(), 4);
  }  // the destructor joins the thread
}

TEST(EnergyMonitor, SamplerErrorRethrownOnCallersThreadOnceThenCleared) {
  auto meter = std::make_unique<LinearMeter>(std::vector<double>{1.0});
  LinearMeter* raw = meter.get();
  MonitorOptions options = manual();
  options.sample_period_s = 0.001;
  EnergyMonitor monitor(one(std::move(meter)), options);
  monitor.begin_window("w");
  raw->fail_off_thread_ = true;  // reads from this thread still work: a throw is the sampler's
  bool thrown = false;
  for (int i = 0; i < 1000 && !thrown; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
    try {
      monitor.poll();
    } catch (const Error& e) {
      thrown = true;
      EXPECT_NE(std::string(e.what()).find("on the sampler thread"), std::string::npos);
    }
  }
  EXPECT_TRUE(thrown);
  raw->fail_off_thread_ = false;
  // The sampler may have stored one more error before the flag changed: at most one more throw.
  int throws = 0;
  for (int i = 0; i < 3; ++i) {
    try {
      monitor.poll();
    } catch (const Error&) {
      ++throws;
    }
  }
  EXPECT_LE(throws, 1);
  EXPECT_EQ(monitor.end_window("w").name, "w");
}

TEST(EnergyMonitor, MeterFailingItsFirstReadIsDroppedWithAWarning) {
  auto meter = std::make_unique<LinearMeter>(std::vector<double>{1.0});
  meter->fail_ = true;
  EnergyMonitor monitor(one(std::move(meter)), manual());
  EXPECT_TRUE(monitor.components().empty());
  ASSERT_EQ(monitor.warnings().size(), 1u);
  EXPECT_NE(monitor.warnings()[0].find("failed its first reading"), std::string::npos);
  monitor.begin_window("w");
  EXPECT_EQ(monitor.end_window("w").source(), TotalSource::none);
}

}  // namespace
}  // namespace eden::energy
