// EAG and the Green Delta Table: the reference card's numbers, the four quadrants and the
// near-zero energy case, the estimated-energy warning, and the golden table and JSON.
#include <gtest/gtest.h>

#include <cmath>

#include "eden/report/green_delta.h"
#include "eden/report/run_record.h"
#include "eden/util/check.h"
#include "fake_run.h"

namespace {

using eden::report::compute_green_delta;
using eden::report::GreenDelta;
using eden::report::RunNumbers;
using eden::report::Tradeoff;

constexpr double kReferenceIntensity = 475.0;  // gCO2eq/kWh, the reference card's

RunNumbers numbers(const std::string& label, double accuracy, double energy_j,
                   const std::string& source = "measured") {
  return {label, accuracy, energy_j, eden::report::co2_kg_for(energy_j, kReferenceIntensity),
          source};
}

GreenDelta reference_delta() {
  return compute_green_delta(numbers("MobileViTv3", 0.8850, 6905436.0),
                             numbers("ResNet50", 0.9573, 380392115.0));
}

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

TEST(GreenDelta, ReproducesTheReferenceCardNumbers) {
  const GreenDelta d = reference_delta();
  EXPECT_NEAR(d.accuracy_delta_pp, -7.23, 1e-9);
  EXPECT_NEAR(d.energy_saved_fraction * 100.0, 98.18, 0.005);
  EXPECT_NEAR(d.baseline.co2_kg, 50.19, 0.005);
  EXPECT_NEAR(d.model.co2_kg, 0.9111, 0.00005);
  ASSERT_TRUE(d.eag_meaningful);
  EXPECT_NEAR(d.eag, 1.94e-10, 0.005e-10);
  EXPECT_NEAR(d.eag, (0.8850 - 0.9573) / (6905436.0 - 380392115.0), 1e-22);
  EXPECT_EQ(d.tradeoff, Tradeoff::kTradesAccuracyForEnergy);
  EXPECT_FALSE(d.energy_estimated);

  const std::string md = eden::report::to_markdown(d);
  EXPECT_TRUE(contains(md, "| Metric | ResNet50 Baseline | MobileViTv3 (EDEN) | Δ |")) << md;
  EXPECT_TRUE(contains(md, "| Accuracy | 0.9573 | 0.8850 | -7.23 pp |")) << md;
  EXPECT_TRUE(contains(md, "| Total Energy (J) | 380,392,115 | 6,905,436 | 98.18% saved |")) << md;
  EXPECT_TRUE(contains(md, "| CO₂ Emissions (kg) | 50.1906 | 0.9111 |")) << md;
  EXPECT_TRUE(contains(md, "| EAG Score | — | 1.9358e-10 | ΔAcc/ΔJoule |")) << md;
  EXPECT_TRUE(contains(md, "trades accuracy for energy")) << md;
  EXPECT_FALSE(contains(md, "⚠")) << md;
}

TEST(GreenDelta, ReferenceTableAndJsonMatchGoldenFiles) {
  const GreenDelta d = reference_delta();
  eden::testing::expect_golden("green_delta_reference.md", eden::report::to_markdown(d));
  eden::testing::expect_golden("green_delta_reference.json",
                               eden::report::to_json(d).dump(2) + "\n");
}

struct QuadrantCase {
  double model_accuracy;
  double model_energy_j;
  Tradeoff expected;
  const char* words;
};

TEST(GreenDelta, StatesEachQuadrantInWords) {
  const RunNumbers base = numbers("base", 0.90, 1000.0);
  const QuadrantCase cases[] = {
      {0.92, 500.0, Tradeoff::kDominates, "model dominates the baseline"},
      {0.90, 500.0, Tradeoff::kDominates, "model dominates the baseline"},
      {0.85, 500.0, Tradeoff::kTradesAccuracyForEnergy, "model trades accuracy for energy"},
      {0.95, 2000.0, Tradeoff::kCostsEnergyForAccuracy, "model costs energy for accuracy"},
      {0.85, 2000.0, Tradeoff::kDominated, "model is dominated by the baseline"},
      {0.90, 2000.0, Tradeoff::kDominated, "model is dominated by the baseline"},
  };
  for (const auto& c : cases) {
    const GreenDelta d =
        compute_green_delta(numbers("model", c.model_accuracy, c.model_energy_j), base);
    EXPECT_EQ(d.tradeoff, c.expected) << c.model_accuracy << " " << c.model_energy_j;
    EXPECT_TRUE(d.eag_meaningful);
    const std::string words = eden::report::describe(d);
    EXPECT_TRUE(contains(words, c.words)) << words;
    EXPECT_TRUE(contains(eden::report::to_markdown(d), "**" + std::string(c.words) + "**"))
        << "the Markdown verdict is emphasised";
  }
  // The sign alone misleads: "trades" and "costs" both give a positive EAG.
  const GreenDelta trades = compute_green_delta(numbers("m", 0.85, 500.0), base);
  const GreenDelta costs = compute_green_delta(numbers("m", 0.95, 2000.0), base);
  EXPECT_GT(trades.eag, 0.0);
  EXPECT_GT(costs.eag, 0.0);
  EXPECT_TRUE(contains(eden::report::describe(trades), "accuracy given up per joule saved"));
  EXPECT_TRUE(contains(eden::report::describe(costs), "accuracy gained per extra joule"));
  const GreenDelta same_accuracy = compute_green_delta(numbers("m", 0.90, 500.0), base);
  EXPECT_TRUE(contains(eden::report::describe(same_accuracy), "it is as accurate as base"))
      << eden::report::describe(same_accuracy);
  const GreenDelta no_gain = compute_green_delta(numbers("m", 0.90, 2000.0), base);
  EXPECT_TRUE(contains(eden::report::describe(no_gain), "it is no more accurate than base"));
}

TEST(GreenDelta, NegligibleEnergyDifferenceReportsNoEag) {
  const RunNumbers base = numbers("base", 0.90, 100000.0);
  for (double energy : {100000.0, 100500.0, 99100.0}) {  // 0, +0.5%, -0.9%
    const GreenDelta d = compute_green_delta(numbers("model", 0.95, energy), base);
    EXPECT_EQ(d.tradeoff, Tradeoff::kNegligibleEnergyDifference) << energy;
    EXPECT_FALSE(d.eag_meaningful);
    EXPECT_TRUE(std::isnan(d.eag));
    EXPECT_TRUE(contains(eden::report::describe(d), "EAG would divide by measurement noise"));
    EXPECT_TRUE(contains(eden::report::describe(d), "5.00 pp more accurate than base"));
    EXPECT_TRUE(contains(eden::report::to_markdown(d), "n/a (energy difference negligible)"));
    EXPECT_TRUE(eden::report::to_json(d).at("eag").is_null());
  }
  // Just over the 1% threshold the ratio is reported.
  const GreenDelta over = compute_green_delta(numbers("model", 0.95, 101100.0), base);
  EXPECT_EQ(over.tradeoff, Tradeoff::kCostsEnergyForAccuracy);
  // The absolute floor keeps tiny runs from dividing by sub-joule differences.
  const GreenDelta tiny =
      compute_green_delta(numbers("model", 0.95, 10.5), numbers("b", 0.9, 10.0));
  EXPECT_EQ(tiny.tradeoff, Tradeoff::kNegligibleEnergyDifference);
  // A custom threshold applies.
  eden::report::GreenDeltaOptions strict;
  strict.min_energy_fraction = 0.0001;
  const GreenDelta custom = compute_green_delta(numbers("model", 0.95, 100500.0), base, strict);
  EXPECT_EQ(custom.tradeoff, Tradeoff::kCostsEnergyForAccuracy);
}

TEST(GreenDelta, SaysWhenEnergyIsEstimated) {
  const GreenDelta d = compute_green_delta(numbers("small", 0.80, 10.0, "estimated"),
                                           numbers("big", 0.90, 1000.0, "mixed"));
  EXPECT_TRUE(d.energy_estimated);
  const std::string md = eden::report::to_markdown(d);
  EXPECT_TRUE(contains(md, "| Energy source | mixed | estimated | ⚠ not all measured |")) << md;
  EXPECT_TRUE(contains(md, "> ⚠ The energy of big (mixed) and small (estimated) is not")) << md;
  EXPECT_TRUE(eden::report::to_json(d).at("energy_estimated").get<bool>());
}

TEST(GreenDelta, RejectsImpossibleNumbers) {
  const RunNumbers ok = numbers("ok", 0.9, 100.0);
  EXPECT_THROW(compute_green_delta(numbers("bad", 1.5, 100.0), ok), eden::Error);
  EXPECT_THROW(compute_green_delta(numbers("bad", 0.5, -1.0), ok), eden::Error);
  EXPECT_THROW(compute_green_delta(ok, numbers("bad", NAN, 100.0)), eden::Error);
}

TEST(GreenDelta, ComparesRunDirectoriesAndWritesBothFiles) {
  namespace t = eden::testing;
  const auto root = t::fresh_temp_dir("green_delta");
  t::FakeRun model;
  t::FakeRun base;
  base.model = "resnet50";
  base.accuracy = 0.9573;
  base.energy_j = 380392115.0;
  t::write_fake_run(root / "candidate", model);
  t::write_fake_run(root / "baseline", base);
  const auto m = eden::report::load_run(root / "candidate");
  const auto b = eden::report::load_run(root / "baseline");
  const GreenDelta d = eden::report::compare_runs(m, b);
  EXPECT_EQ(d.model.label, "mobilevitv3_xxs");
  EXPECT_EQ(d.baseline.label, "resnet50");
  const auto [md, json] = eden::report::write_green_delta(d, m, b, root / "out");
  t::expect_golden("green_delta.md", eden::read_file(md));
  t::expect_golden("green_delta.json", eden::read_file(json));

  // Same model on both sides: the run names tell the columns apart.
  t::write_fake_run(root / "other", model);
  const auto same = eden::report::compare_runs(m, eden::report::load_run(root / "other"));
  EXPECT_EQ(same.model.label, "mobilevitv3_xxs [candidate]");
  EXPECT_EQ(same.baseline.label, "mobilevitv3_xxs [other]");
  std::filesystem::remove_all(root);
}

}  // namespace
