// Energy in training: log.csv energy columns, metrics.json totals, power.csv, emissions.csv,
// all labelled estimated on a machine without counters, and consistent across a resume.
#include <gtest/gtest.h>

#include <filesystem>

#include "../common/csv_column.h"
#include "../common/synthetic.h"
#include "eden/report/csv_log.h"
#include "eden/train/run.h"
#include "eden/util/fs.h"

namespace fs = std::filesystem;
using namespace eden;

namespace {

train::TrainConfig config(const fs::path& out) {
  train::TrainConfig c;
  c.epochs = 3;
  c.batch_size = 32;
  c.device = "cpu";
  c.threads = 1;
  c.energy_interval_ms = 20;
  c.out = out.string();
  return c;
}

}  // namespace

TEST(EnergyColumns, EveryEpochHasEnergyAndTheTotalsAgree) {
  const auto dir = fs::temp_directory_path() / ("eden_energy_" + std::to_string(::getpid()));
  fs::remove_all(dir);
  auto cfg = config(dir);
  cfg.country = "FRA";
  train::RunOptions ro;
  ro.progress = false;
  train::train_run(cfg, eden::testing::make_blocks_splits(256, 64), ro);

  const auto log = dir / "log.csv";
  const auto energy = eden::testing::csv_column(log, "energy_j");
  const auto cum = eden::testing::csv_column(log, "energy_cum_j");
  ASSERT_EQ(energy.size(), 3u);
  double sum = 0;
  for (size_t i = 0; i < 3; ++i) {
    EXPECT_GT(std::stod(energy[i]), 0.0);
    sum += std::stod(energy[i]);
    EXPECT_NEAR(std::stod(cum[i]), sum, 1e-3 * sum);
    EXPECT_GT(std::stod(eden::testing::csv_column(log, "avg_power_w")[i]), 0.0);
  }
  for (const auto& src : eden::testing::csv_column(log, "energy_source"))
    EXPECT_EQ(src, "estimated");

  const auto m = nlohmann::json::parse(read_file(dir / "metrics.json"));
  EXPECT_NEAR(m.at("energy_j").get<double>(), sum, 1e-3 * sum);
  EXPECT_NEAR(m.at("energy_kwh").get<double>(), m.at("energy_j").get<double>() / 3.6e6, 1e-12);
  EXPECT_EQ(m.at("carbon").at("country_iso3"), "FRA");
  EXPECT_EQ(m.at("carbon").at("carbon_intensity_source"), "country");
  const double g_per_kwh = m.at("carbon").at("carbon_intensity_g_per_kwh").get<double>();
  EXPECT_NEAR(m.at("co2_kg").get<double>(), m.at("energy_kwh").get<double>() * g_per_kwh / 1000,
              1e-12);
  EXPECT_NEAR(std::stod(eden::testing::csv_column(log, "co2_kg_cum").back()),
              m.at("co2_kg").get<double>(), 1e-3 * m.at("co2_kg").get<double>());
  EXPECT_EQ(m.at("energy_source"), "estimated");
  double components = 0;
  for (const auto& c : m.at("energy_components")) {
    EXPECT_EQ(c.at("source"), "estimated");
    components += c.at("energy_j").get<double>();
  }
  EXPECT_NEAR(components, sum, 1e-3 * sum);

  // CodeCarbon's file: its header, one cumulative row in kWh and kg.
  auto [header, rows] = report::read_csv(dir / "emissions.csv");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(header.at(0), "timestamp");
  EXPECT_EQ(header.at(5), "emissions");
  EXPECT_NEAR(std::stod(rows[0].at(5)), m.at("co2_kg").get<double>(), 1e-9);

  // power.csv: timestamped samples of every component.
  const auto times = eden::testing::csv_column(dir / "power.csv", "time_s");
  EXPECT_GT(times.size(), 4u);
  for (size_t i = 1; i < times.size(); ++i) EXPECT_GE(std::stod(times[i]), std::stod(times[i - 1]));

  // Resume carries the totals on: run one more epoch on top of a finished 2-epoch prefix.
  const auto dir2 = dir.string() + "_resume";
  fs::remove_all(dir2);
  auto cfg2 = config(dir2);
  struct Stop : train::TrainerCallback {
    void on_train_begin(int64_t epoch, int64_t) override {
      if (epoch == 2) throw std::runtime_error("stop");
    }
  } stop;
  train::RunOptions cut = ro;
  cut.callbacks = {&stop};
  EXPECT_THROW(train::train_run(cfg2, eden::testing::make_blocks_splits(256, 64), cut),
               std::runtime_error);
  const double before = nlohmann::json::parse(read_file(fs::path(dir2) / "metrics.json"))
                            .at("energy_j")
                            .get<double>();
  train::resume_run(dir2, eden::testing::make_blocks_splits(256, 64), ro);
  const auto cum2 = eden::testing::csv_column(fs::path(dir2) / "log.csv", "energy_cum_j");
  ASSERT_EQ(cum2.size(), 3u);
  EXPECT_NEAR(std::stod(cum2[1]), before, 1e-3 * before);
  EXPECT_GT(std::stod(cum2[2]), before);
  fs::remove_all(dir);
  fs::remove_all(dir2);
}
