// Energy-aware control in real runs: the probe leaves training unchanged, a budget one epoch
// short of the run stops it one epoch early and complete, a resumed run keeps its forecasts and
// spends one budget for the whole run, and the stop reason reaches metrics.json and the card.
#include <gtest/gtest.h>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "../common/csv_column.h"
#include "../common/temp_dir.h"
#include "eden/report/csv_log.h"
#include "eden/report/model_card.h"
#include "eden/report/run_record.h"
#include "eden/train/run.h"
#include "eden/util/fs.h"

namespace fs = std::filesystem;
using namespace eden;

namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

/// Fashion-MNIST, 3000 training images: epochs of about a second whose accuracy still climbs.
class EnergyControl : public eden::testing::TempDirTest {
 protected:
  void SetUp() override {
    if (!fs::exists(kData)) GTEST_SKIP() << kData << " missing (dataset-fashion-mnist)";
    eden::testing::TempDirTest::SetUp();
    auto c = config("data");
    data_ = train::load_data(c);
  }
  train::TrainConfig config(const std::string& name) const {
    train::TrainConfig c;
    c.model = "small_cnn";
    c.epochs = 5;
    c.batch_size = 32;
    c.lr = 3e-3;
    c.device = "cpu";
    c.threads = 1;
    c.energy_interval_ms = 20;
    c.unfreeze_epoch = 1;
    c.data = kData;
    c.train_limit = 3000;
    c.eval_limit = 1000;
    c.out = (dir_ / name).string();
    return c;
  }
  train::RunOptions quiet() const {
    train::RunOptions ro;
    ro.progress = false;
    return ro;
  }
  data::DataSplits data_;
};

nlohmann::json json_file(const fs::path& p) {
  return nlohmann::json::parse(read_file(p));
}

}  // namespace

TEST_F(EnergyControl, TheProbeLeavesTrainingUnchanged) {
  auto plain = config("plain");
  plain.unfreeze_epoch = 0;  // one phase, no budget: no probe
  auto probed = config("probed");
  probed.unfreeze_epoch = 0;
  probed.energy_budget = "1GJ";  // a budget before any epoch: the probe runs
  plain.epochs = probed.epochs = 2;
  data::DataSplits small = data_;
  small.train = small.train.select(torch::arange(1000, torch::kLong));
  train::train_run(plain, small, quiet());
  train::train_run(probed, small, quiet());
  EXPECT_FALSE(json_file(dir_ / "plain" / "metrics.json").contains("energy_probe_j"));
  EXPECT_GT(json_file(dir_ / "probed" / "metrics.json").value("energy_probe_j", 0.0), 0.0);
  EXPECT_EQ(eden::testing::csv_column(dir_ / "plain" / "log.csv", "eval_top1"),
            eden::testing::csv_column(dir_ / "probed" / "log.csv", "eval_top1"));
  EXPECT_EQ(eden::testing::csv_column(dir_ / "plain" / "log.csv", "train_loss"),
            eden::testing::csv_column(dir_ / "probed" / "log.csv", "train_loss"));
  EXPECT_EQ(read_file(dir_ / "plain" / "model.safetensors").size(),
            read_file(dir_ / "probed" / "model.safetensors").size());
  EXPECT_TRUE(read_file(dir_ / "plain" / "model.safetensors") ==
              read_file(dir_ / "probed" / "model.safetensors"))
      << "the probe changed the trained weights";
}

TEST_F(EnergyControl, ABudgetOneEpochShortStopsOneEpochEarlyCompleteAndSaysWhy) {
  // The same run with a budget it never meets: its per-epoch energy (probe included) sizes the
  // budget of the second, half an epoch short of its last epoch.
  auto full = config("full");
  full.epochs = 4;
  full.energy_budget = "1GJ";
  train::train_run(full, data_, quiet());
  const auto cum = eden::testing::csv_column(dir_ / "full" / "log.csv", "energy_cum_j");
  ASSERT_EQ(cum.size(), 4u);
  const double budget_j = std::stod(cum[2]) + 0.5 * (std::stod(cum[3]) - std::stod(cum[2]));

  auto capped = config("capped");
  capped.epochs = 4;
  capped.energy_budget = fmt::format("{}J", budget_j);
  const auto s = train::train_run(capped, data_, quiet());
  ASSERT_EQ(s.epochs.size(), 3u);
  const auto m = json_file(dir_ / "capped" / "metrics.json");
  EXPECT_EQ(m.at("stop_reason"), "energy_budget");
  EXPECT_EQ(m.at("epochs_completed"), 3);
  EXPECT_LE(m.at("energy_j").get<double>(), budget_j);
  EXPECT_NE(m.at("stop_detail").get<std::string>().find("would reach"), std::string::npos);
  EXPECT_TRUE(fs::exists(dir_ / "capped" / "checkpoint.pt"));
  EXPECT_EQ(eden::testing::csv_column(dir_ / "capped" / "log.csv", "decision").back(),
            "stop: energy_budget");
  // The forecast and the decisions are in run.json with the numbers they used.
  const auto control = json_file(dir_ / "capped" / "run.json").at("control");
  EXPECT_EQ(control.at("forecasts").size(), 4u);  // at start and after each epoch
  EXPECT_EQ(control.at("decisions").back().at("numbers").at("energy_budget").at("budget_j"),
            budget_j);
  EXPECT_EQ(control.at("forecast_errors").size(), 3u);

  // A resume of a run stopped on purpose has nothing to do.
  const auto again = train::resume_run(dir_ / "capped", data_, quiet());
  EXPECT_TRUE(again.epochs.empty());

  // The card says why the run stopped and how good the first forecast was.
  const auto run = report::load_run(dir_ / "capped");
  EXPECT_TRUE(run.complete());
  EXPECT_TRUE(run.stopped_early());
  const std::string card = report::render_model_card(run, report::load_run(dir_ / "full"), {}, {});
  EXPECT_NE(card.find("| Stop Reason | `energy_budget`:"), std::string::npos) << card;
  EXPECT_NE(card.find("> Stopped after 3 of 4 epochs on purpose"), std::string::npos);
  EXPECT_NE(card.find("| Budgets | energy "), std::string::npos);
  EXPECT_NE(card.find("| Forecast after Epoch 1 |"), std::string::npos);
  EXPECT_EQ(card.find("This run stopped after"), std::string::npos) << "not an interrupted run";
}

TEST_F(EnergyControl, TargetAccuracyStopsAtTheFirstEpochReachingIt) {
  auto free_run = config("free");
  free_run.epochs = 4;
  train::train_run(free_run, data_, quiet());
  const auto acc = eden::testing::csv_column(dir_ / "free" / "log.csv", "eval_top1");
  // The first epoch (after the first) that beats every earlier one: the target stops there.
  size_t first = 0;
  double best = std::stod(acc[0]);
  for (size_t i = 1; i < acc.size() && first == 0; ++i) {
    if (std::stod(acc[i]) > best && i + 1 < acc.size()) first = i;
    best = std::max(best, std::stod(acc[i]));
  }
  ASSERT_GT(first, 0u) << "no improving epoch to target";
  auto target = config("target");
  target.epochs = 4;
  target.target_accuracy = std::stod(acc[first]);
  train::train_run(target, data_, quiet());
  const auto m = json_file(dir_ / "target" / "metrics.json");
  EXPECT_EQ(m.at("stop_reason"), "target_accuracy");
  EXPECT_EQ(m.at("epochs_completed").get<size_t>(), first + 1);
  EXPECT_EQ(m.at("target_reached_epoch").get<size_t>(), first + 1);
  const auto cum = eden::testing::csv_column(dir_ / "target" / "log.csv", "energy_cum_j");
  EXPECT_NEAR(m.at("energy_to_accuracy_j").get<double>(), std::stod(cum.back()),
              1e-5 * std::stod(cum.back()));
  const std::string card = report::render_model_card(report::load_run(dir_ / "target"),
                                                     report::load_run(dir_ / "free"), {}, {});
  EXPECT_NE(card.find("| Energy / Time to Accuracy (top-1 ≥ "), std::string::npos) << card;
}

TEST_F(EnergyControl, AResumedRunKeepsItsForecastsAndItsBudgetIsForTheWholeRun) {
  auto probe_run = config("sizing");
  probe_run.unfreeze_epoch = train::kUnfreezeAuto;
  probe_run.epochs = 5;
  probe_run.energy_budget = "1GJ";
  train::train_run(probe_run, data_, quiet());
  const auto cum = eden::testing::csv_column(dir_ / "sizing" / "log.csv", "energy_cum_j");
  // Three and a half epochs: a budget per process would let the resumed part run to the end.
  const double budget_j = std::stod(cum[2]) + 0.5 * (std::stod(cum[3]) - std::stod(cum[2]));

  auto cfg = config("cut");
  cfg.unfreeze_epoch = train::kUnfreezeAuto;
  cfg.epochs = 5;
  cfg.energy_budget = fmt::format("{}J", budget_j);
  struct Interrupt : train::TrainerCallback {
    void on_train_begin(int64_t epoch, int64_t) override {
      if (epoch == 2) throw std::runtime_error("simulated interruption");
    }
  } interrupt;
  auto cut = quiet();
  cut.callbacks = {&interrupt};
  EXPECT_THROW(train::train_run(cfg, data_, cut), std::runtime_error);
  const auto before = json_file(dir_ / "cut" / "run.json").at("control");
  ASSERT_EQ(before.at("forecasts").size(), 3u);

  const auto resumed = train::resume_run(dir_ / "cut", data_, quiet());
  const auto m = json_file(dir_ / "cut" / "metrics.json");
  EXPECT_EQ(m.at("stop_reason"), "energy_budget") << m.dump(2);
  EXPECT_EQ(m.at("epochs_completed"), 3);
  EXPECT_EQ(resumed.epochs.size(), 1u);
  EXPECT_LE(m.at("energy_j").get<double>(), budget_j);
  const auto after = json_file(dir_ / "cut" / "run.json").at("control");
  for (size_t i = 0; i < 3; ++i) {  // the forecasts made before the interruption are kept
    EXPECT_EQ(after.at("forecasts")[i].dump(), before.at("forecasts")[i].dump()) << i;
  }
  EXPECT_EQ(after.at("forecaster").at("probe").dump(), before.at("forecaster").at("probe").dump());
  EXPECT_EQ(eden::testing::csv_column(dir_ / "cut" / "log.csv", "phase_reason").size(), 3u);
  for (const auto& reason : eden::testing::csv_column(dir_ / "cut" / "log.csv", "phase_reason")) {
    EXPECT_EQ(reason.rfind("auto: ", 0), 0u) << reason;
  }
}
