// Reading run directories back: every field from the right file, and a clear error (naming the
// file and the problem) for a missing folder, a missing or corrupt file.
#include <gtest/gtest.h>

#include <cmath>

#include "eden/report/run_record.h"
#include "eden/util/check.h"
#include "fake_run.h"

namespace {

namespace t = eden::testing;
using eden::report::load_run;

class RunRecordTest : public ::testing::Test {
 protected:
  void SetUp() override { root_ = t::fresh_temp_dir("run_record"); }
  void TearDown() override { std::filesystem::remove_all(root_); }

  /// The message of the eden::Error that loading `dir` throws ("" when it loads).
  static std::string load_error(const std::filesystem::path& dir) {
    try {
      load_run(dir);
    } catch (const eden::Error& e) {
      return e.what();
    }
    return "";
  }

  std::filesystem::path root_;
};

TEST_F(RunRecordTest, ReadsEveryFile) {
  t::FakeRun fake;
  fake.unfreeze_epoch = 2;
  fake.amp = true;
  fake.l1 = 1e-5;
  const auto dir = t::write_fake_run(root_ / "r1", fake);
  const auto run = load_run(dir);
  EXPECT_EQ(run.name, "r1");
  EXPECT_EQ(run.model, "mobilevitv3_xxs");
  EXPECT_EQ(run.data, "fashion-mnist");
  EXPECT_DOUBLE_EQ(run.accuracy, 0.885);
  EXPECT_DOUBLE_EQ(run.macro_f1, 0.882);
  EXPECT_DOUBLE_EQ(run.energy_j, 6905436.0);
  EXPECT_DOUBLE_EQ(run.co2_kg, fake.co2_kg());
  EXPECT_EQ(run.energy_source, "measured");
  EXPECT_EQ(run.epochs, 4);
  EXPECT_TRUE(run.complete());
  EXPECT_DOUBLE_EQ(run.carbon.intensity_g_per_kwh, 475.0);
  ASSERT_EQ(run.energy_components.size(), 2u);
  EXPECT_EQ(run.energy_components[0].device, "gpu0");
  ASSERT_EQ(run.log.size(), 4u);
  EXPECT_EQ(run.log[0].phase, "frozen");
  EXPECT_EQ(run.log[2].phase, "full");
  EXPECT_DOUBLE_EQ(run.log.back().energy_cum_j, 6905436.0);
  EXPECT_EQ(run.config_text("unfreeze_epoch"), "2");
  EXPECT_DOUBLE_EQ(run.config_number("l1"), 1e-5);
  EXPECT_TRUE(run.config_flag("amp"));
  EXPECT_EQ(run.info_text("device"), "cuda");
  EXPECT_TRUE(run.has_env());
  ASSERT_EQ(run.classes.size(), 3u);
  // Per-class accuracy follows classes.txt, not metrics.json's sorted keys.
  ASSERT_EQ(run.per_class_accuracy.size(), 3u);
  EXPECT_EQ(run.per_class_accuracy[0].first, "T-shirt/top");
  EXPECT_EQ(run.per_class_accuracy[2].first, "Pullover");
  EXPECT_TRUE(eden::report::is_run_directory(dir));
  EXPECT_FALSE(eden::report::is_run_directory(root_));
}

TEST_F(RunRecordTest, OptionalFilesMayBeMissing) {
  t::FakeRun fake;
  fake.with_env = false;
  fake.with_run_info = false;
  const auto dir = t::write_fake_run(root_ / "bare", fake);
  std::filesystem::remove(dir / "classes.txt");
  const auto run = load_run(dir);
  EXPECT_FALSE(run.has_env());
  EXPECT_EQ(run.info_text("device"), "");
  EXPECT_TRUE(run.classes.empty());
  EXPECT_EQ(run.per_class_accuracy.size(), 3u);  // falls back to metrics.json's order
}

TEST_F(RunRecordTest, ClearErrors) {
  EXPECT_NE(load_error(root_ / "nowhere").find("does not exist or is not a directory"),
            std::string::npos);
  EXPECT_NE(load_error(root_).find("is not a run directory: no metrics.json"), std::string::npos);

  const auto dir = t::write_fake_run(root_ / "r", t::FakeRun{});
  t::write_text(dir / "metrics.json", "{\"model\": \"x\", ");
  std::string e = load_error(dir);
  EXPECT_NE(e.find("metrics.json: not valid JSON"), std::string::npos) << e;

  t::write_text(dir / "metrics.json", R"({"model": "x", "eval_top1": 0.5, "co2_kg": 0})");
  e = load_error(dir);
  EXPECT_NE(e.find("no 'energy_j'"), std::string::npos) << e;

  t::write_text(dir / "metrics.json",
                R"({"model": "x", "eval_top1": "high", "energy_j": 1, "co2_kg": 0})");
  e = load_error(dir);
  EXPECT_NE(e.find("'eval_top1' is \"high\", expected a number"), std::string::npos) << e;

  t::write_text(dir / "metrics.json",
                R"({"model": "x", "eval_top1": 88.5, "energy_j": 1, "co2_kg": 0})");
  e = load_error(dir);
  EXPECT_NE(e.find("expected a fraction in [0, 1]"), std::string::npos) << e;

  t::write_fake_run(dir, t::FakeRun{});
  std::filesystem::remove(dir / "log.csv");
  e = load_error(dir);
  EXPECT_NE(e.find("log.csv: missing"), std::string::npos) << e;

  t::write_text(dir / "log.csv", "epoch,eval_top1\n0,0.5\n1\n");
  e = load_error(dir);
  EXPECT_NE(e.find("log.csv:3: 1 fields, the header has 2"), std::string::npos) << e;

  t::write_text(dir / "log.csv", "epoch,eval_top1\n0,abc\n");
  e = load_error(dir);
  EXPECT_NE(e.find("log.csv:2: column 'eval_top1' holds 'abc'"), std::string::npos) << e;

  t::write_text(dir / "log.csv", "epoch,loss\n0,1\n");
  e = load_error(dir);
  EXPECT_NE(e.find("no column 'eval_top1'"), std::string::npos) << e;

  t::write_fake_run(dir, t::FakeRun{});
  t::write_text(dir / "config.yaml", "model: [unclosed\n");
  e = load_error(dir);
  EXPECT_NE(e.find("config.yaml: not valid YAML"), std::string::npos) << e;

  t::write_fake_run(dir, t::FakeRun{});
  t::write_text(dir / "env.json", "[1, 2]");
  e = load_error(dir);
  EXPECT_NE(e.find("env.json: expected a JSON object"), std::string::npos) << e;

  // Every message is one line, so the CLI prints a one-line error.
  for (const auto& msg : {load_error(root_ / "nowhere"), load_error(root_), e}) {
    EXPECT_EQ(msg.find('\n'), std::string::npos) << msg;
  }
}

}  // namespace
