// The Green Delta over seeds: one seed is exactly today's golden table; several give means
// with paired bootstrap intervals checked against numpy, and say when an interval crosses zero.
#include "eden/report/repeated_delta.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <sstream>

#include "../common/temp_dir.h"
#include "../io/python.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"
#include "fake_run.h"

namespace {

namespace r = eden::report;

constexpr double kIntensity = 475.0;  // gCO2eq/kWh, the reference card's

r::RunNumbers numbers(const std::string& label, double accuracy, double energy_j) {
  return {label, accuracy, energy_j, r::co2_kg_for(energy_j, kIntensity), "measured"};
}

r::SeedPair pair(int64_t seed, double acc_m, double j_m, double acc_b, double j_b) {
  return {seed, numbers("MobileViTv3", acc_m, j_m), numbers("ResNet50", acc_b, j_b),
          fmt::format("e2am/seed-{}", seed), fmt::format("baseline/seed-{}", seed)};
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(RepeatedGreenDelta, OneSeedIsExactlyTodaysGoldenTable) {
  const auto d = r::compute_repeated_green_delta({pair(0, 0.8850, 6905436.0, 0.9573, 380392115.0)});
  EXPECT_EQ(d.seeds(), 1);
  EXPECT_FALSE(d.accuracy_indistinguishable());
  eden::testing::expect_golden("green_delta_reference.md", r::to_markdown(d));
  EXPECT_EQ(r::describe(d, true), r::describe(d.mean, true));
}

TEST(RepeatedGreenDelta, MeansAndIntervalsMatchNumpyOverEveryResample) {
  ASSERT_TRUE(eden::testing::python_has("numpy")) << "numpy is installed by scripts/setup";
  // Given out of seed order: the study sorts them.
  const auto d =
      r::compute_repeated_green_delta({pair(2, 0.80, 500, 0.86, 905), pair(0, 0.81, 520, 0.85, 900),
                                       pair(1, 0.83, 490, 0.84, 950)});
  ASSERT_EQ(d.seeds(), 3);
  EXPECT_EQ(d.pairs.front().seed, 0);
  EXPECT_TRUE(d.bootstrap.exact);
  EXPECT_EQ(d.bootstrap.resamples, 27);
  EXPECT_NEAR(d.mean.model.accuracy, (0.81 + 0.83 + 0.80) / 3, 1e-15);
  EXPECT_NEAR(d.mean.baseline.energy_j, (900 + 950 + 905) / 3.0, 1e-9);
  EXPECT_NEAR(d.mean.eag, d.eag.estimate, 1e-20);
  const auto py = eden::testing::run_python(
      "-c '"
      "import itertools, numpy as np\n"
      "am, jm, ab, jb = (np.array(v) for v in ([0.81, 0.83, 0.80], [520, 490, 500], "
      "[0.85, 0.84, 0.86], [900, 950, 905]))\n"
      "s = []\n"
      "for idx in itertools.product(range(3), repeat=3):\n"
      "    i = list(idx); da = am[i].mean() - ab[i].mean(); dj = jm[i].mean() - jb[i].mean()\n"
      "    s.append((100 * da, dj, (jb[i].mean() - jm[i].mean()) / jb[i].mean(), da / dj))\n"
      "s = np.array(s)\n"
      "for k in range(4): print(\"%.17g %.17g\" % (np.quantile(s[:, k], 0.025), "
      "np.quantile(s[:, k], 0.975)))\n'");
  ASSERT_EQ(py.status, 0) << py.output;
  std::istringstream in(py.output);
  for (const r::Interval* i :
       {&d.accuracy_delta_pp, &d.energy_delta_j, &d.energy_saved_fraction, &d.eag}) {
    double lo = 0, hi = 0;
    ASSERT_TRUE(in >> lo >> hi) << py.output;
    const double tol = 1e-12 * std::max(1.0, std::fabs(lo) + std::fabs(hi));
    EXPECT_NEAR(i->low, lo, tol);
    EXPECT_NEAR(i->high, hi, tol);
  }
  // Less energy in every resample, less accurate in every resample: the quadrant stands.
  EXPECT_FALSE(d.accuracy_indistinguishable());
  EXPECT_FALSE(d.energy_indistinguishable());
  const std::string md = r::to_markdown(d);
  EXPECT_TRUE(contains(md, "| Seeds | 3 | 3 | paired by seed |")) << md;
  EXPECT_TRUE(contains(md, "paired percentile bootstrap over 3 seed(s), all 27 resamples")) << md;
  EXPECT_TRUE(contains(md, fmt::format("| Accuracy | {:.4f} [", d.mean.baseline.accuracy))) << md;
  EXPECT_TRUE(contains(md, "| 1 | baseline/seed-1 | 0.8400 | e2am/seed-1 | 0.8300 | -1.00 |"))
      << md;
  EXPECT_TRUE(contains(md, "trades accuracy for energy")) << md;
  EXPECT_FALSE(contains(md, "not distinguishable")) << md;
  const auto j = r::to_json(d);
  EXPECT_EQ(j["seeds"], 3);
  EXPECT_EQ(j["per_seed"].size(), 3u);
  EXPECT_DOUBLE_EQ(j["intervals"]["eag"]["low"].get<double>(), d.eag.low);
}

TEST(RepeatedGreenDelta, SaysWhenAnIntervalCrossesZero) {
  // Accuracy differences of both signs; energy always lower.
  const auto acc =
      r::compute_repeated_green_delta({pair(0, 0.80, 500, 0.82, 900), pair(1, 0.86, 510, 0.84, 905),
                                       pair(2, 0.83, 505, 0.83, 899)});
  EXPECT_TRUE(acc.accuracy_indistinguishable());
  EXPECT_FALSE(acc.energy_indistinguishable());
  const std::string words = r::describe(acc, false);
  EXPECT_TRUE(contains(words, "Its accuracy is not distinguishable from the baseline's at 3 seeds"))
      << words;
  // Both cross zero: the headline says so.
  const auto both = r::compute_repeated_green_delta(
      {pair(0, 0.80, 400, 0.82, 900), pair(1, 0.86, 1400, 0.84, 905)});
  EXPECT_TRUE(both.energy_indistinguishable());
  EXPECT_TRUE(contains(r::to_markdown(both),
                       "**MobileViTv3 is not distinguishable from the baseline at 2 seeds**"));
  EXPECT_THROW(r::compute_repeated_green_delta({}), eden::Error);
  EXPECT_THROW(
      r::compute_repeated_green_delta({pair(1, 0.8, 500, 0.8, 900), pair(1, 0.8, 500, 0.8, 900)}),
      eden::Error);
}

class RepeatedGreenDeltaFiles : public eden::testing::TempDirTest {};

TEST_F(RepeatedGreenDeltaFiles, WritesTheTableAndTheJson) {
  const auto d = r::compute_repeated_green_delta(
      {pair(0, 0.81, 520, 0.85, 900), pair(1, 0.83, 490, 0.84, 950)});
  const auto [md, json] = r::write_repeated_green_delta(d, dir_ / "e2am");
  EXPECT_TRUE(contains(eden::read_file(md), "2 seed(s)"));
  EXPECT_TRUE(contains(eden::read_file(md), "seed 1: e2am/seed-1 against baseline/seed-1"));
  EXPECT_EQ(nlohmann::json::parse(eden::read_file(json))["seeds"], 2);
}

}  // namespace
