// Energy-aware control on synthetic runs with known per-phase costs: the forecast is exact, a
// budget one epoch short stops one epoch early without crossing, the target stops at the first
// epoch reaching it, auto unfreezing fires where the documented rule says, the plateau stops,
// and a resumed control continues from its saved state.
#include "eden/train/run_control.h"

#include <gtest/gtest.h>

#include "eden/util/check.h"

namespace eden::train {
namespace {

constexpr int64_t kBatches = 100;
constexpr int64_t kEvalBatches = 10;

/// Per-step costs of the probe: frozen 0.1 J / 0.01 s, full 0.3 J / 0.03 s; eval 0.2 J per batch.
ProbeCost probe() {
  ProbeCost p;
  p.steps = 3;
  p.frozen_step_j = 0.1;
  p.frozen_step_s = 0.01;
  p.full_step_j = 0.3;
  p.full_step_s = 0.03;
  p.eval_batch_j = 0.2;
  p.eval_batch_s = 0.02;
  p.total_j = 5.0;
  p.total_s = 0.5;
  return p;
}

/// What an epoch of `phase` costs in this synthetic run: exactly what the probe predicts, plus
/// a one-off warm-up on the very first epoch of each phase.
EpochCost cost_of(Phase phase, bool first_of_phase) {
  EpochCost c;
  c.phase = phase;
  c.train_j = phase == Phase::kFrozen ? 10.0 : 30.0;
  c.train_s = phase == Phase::kFrozen ? 1.0 : 3.0;
  c.eval_j = 2.0;
  c.eval_s = 0.2;
  if (first_of_phase) {
    c.warmup_j = 4.0;
    c.warmup_s = 0.4;
    c.train_j += 4.0;
    c.train_s += 0.4;
  }
  return c;
}

ControlSettings settings(int64_t epochs, int64_t unfreeze) {
  ControlSettings s;
  s.epochs = epochs;
  s.unfreeze_epoch = unfreeze;
  s.max_frozen_epochs = std::max<int64_t>(1, epochs / 2);
  s.full_epoch_gain = 0.25;  // round numbers below (the default is 0.7)
  s.num_classes = 10;
  return s;
}

/// Drives `control` like a run: epochs [from, ...) with `curve` accuracies until it stops.
struct Driver {
  RunControl& control;
  double spent_j = 5.0, spent_s = 0.5;  // the probe's own cost
  bool seen[2] = {false, false};
  std::vector<Decision> run(const std::vector<double>& curve, int64_t from = 0) {
    std::vector<Decision> out;
    for (int64_t e = from; e < static_cast<int64_t>(curve.size()); ++e) {
      const Phase p = control.phase_of(e);
      const int idx = p == Phase::kFrozen ? 0 : 1;
      EpochCost c = cost_of(p, !seen[idx]);
      seen[idx] = true;
      spent_j += c.train_j + c.eval_j;
      spent_s += c.train_s + c.eval_s;
      out.push_back(
          control.end_epoch(e, EpochOutcome{curve[static_cast<size_t>(e)], c, spent_j, spent_s}));
      if (!out.back().stop_reason.empty()) break;
    }
    return out;
  }
};

RunControl make(ControlSettings s) {
  Forecaster f(kBatches, kEvalBatches);
  f.set_probe(probe());
  return RunControl(s, f);
}

TEST(Forecast, SyntheticRunWithKnownPhaseCostsIsForecastExactly) {
  // 2 frozen + 3 full epochs. Steady costs: frozen 10 + 2 J, full 30 + 2 J; the first epoch of
  // each phase pays 4 J warm-up once. Total = 5 (probe) + 4 + 2x12 + 4 + 3x32 = 133 J.
  RunControl control(settings(5, 2), Forecaster(kBatches, kEvalBatches));
  ASSERT_TRUE(control.needs_probe(0));  // a full phase follows the frozen one: measure it first
  EXPECT_EQ(control.probe_phases(0), (std::vector<Phase>{Phase::kFrozen, Phase::kFull}));
  control.forecaster().set_probe(probe());
  EXPECT_FALSE(control.needs_probe(0));
  EXPECT_FALSE(RunControl(settings(5, 0), Forecaster(kBatches, kEvalBatches)).needs_probe(0))
      << "one phase only: its first epoch measures it";
  const auto start = control.begin(0, 5.0, 0.5);
  ASSERT_TRUE(start.has_value());
  // At start the probe alone: frozen 100 x 0.1, full 100 x 0.3, eval 10 x 0.2 per epoch.
  EXPECT_DOUBLE_EQ(start->total_j, 5.0 + 2 * 12.0 + 3 * 32.0);
  Driver d{control};
  d.run({0.5, 0.6, 0.7, 0.75, 0.8});
  const auto& forecasts = control.forecasts();
  ASSERT_EQ(forecasts.size(), 6u);  // at start and after each epoch
  const auto& after1 = forecasts[1];
  EXPECT_EQ(after1.after_epochs, 1);
  // After a measured frozen epoch: full = frozen steady rate x the probe ratio (3), no warm-up.
  EXPECT_NEAR(after1.total_j, 5.0 + 16.0 + 12.0 + 3 * 32.0, 1e-9);
  EXPECT_NEAR(after1.total_s, 0.5 + 1.6 + 1.2 + 3 * 3.2, 1e-9);
  EXPECT_NE(after1.method.find("probe's full/frozen step ratio (3x energy"), std::string::npos)
      << after1.method;
  // Each later forecast only misses the one-off warm-up of the first full epoch.
  EXPECT_NEAR(forecasts[3].total_j, 133.0, 1e-9);  // after the first full epoch: exact
  EXPECT_NEAR(d.spent_j, 133.0, 1e-9);
  const auto m = control.metrics();
  EXPECT_EQ(m.at("stop_reason"), "epochs");
  EXPECT_NEAR(m.at("forecast_after_epoch_1").at("error_j").get<double>(), 129.0 / 133.0 - 1.0,
              1e-12);
}

TEST(Forecast, WarmupExcessIsTheFirstBatchesBeyondTheSteadyRate) {
  // 10 batches, the first 2 took 5 of 14: steady (14 - 5) / 8 = 1.125 per batch.
  EXPECT_DOUBLE_EQ(warmup_excess(5.0, 14.0, 2, 10), 5.0 - 2 * 1.125);
  EXPECT_DOUBLE_EQ(warmup_excess(1.0, 10.0, 1, 10), 0.0);  // no excess
  EXPECT_DOUBLE_EQ(warmup_excess(5.0, 14.0, 0, 10), 0.0);
}

TEST(Budget, OneEpochShortStopsOneEpochEarlyAndNeverCrosses) {
  // Five full epochs of 32 J (the first 36): the whole run costs 5 + 36 + 4 x 32 = 169 J.
  for (const double pue : {1.0, 1.5}) {
    auto s = settings(5, 0);
    s.pue = pue;
    s.energy_budget_j = (169.0 - 16.0) * pue;  // room for four epochs and half of the fifth
    auto control = make(s);
    control.begin(0, 5.0, 0.5);
    Driver d{control};
    const auto decisions = d.run({0.5, 0.6, 0.7, 0.8, 0.9});
    ASSERT_EQ(decisions.size(), 4u);
    EXPECT_EQ(decisions.back().stop_reason, stop_reason::kEnergyBudget);
    EXPECT_LE(d.spent_j * pue, s.energy_budget_j);
    EXPECT_NE(decisions.back().detail.find("would reach"), std::string::npos);
    EXPECT_DOUBLE_EQ(decisions.back().numbers.at("energy_budget").at("after_next_epoch_j"),
                     169.0 * pue);
  }
}

TEST(Budget, Co2AndTimeBudgetsStopTheSameWay) {
  auto s = settings(5, 0);
  s.g_per_kwh = 500.0;
  s.co2_budget_kg = 153.0 / 3.6e6 * 0.5;  // kg CO2 of 153 J at 500 g/kWh
  auto control = make(s);
  control.begin(0, 5.0, 0.5);
  Driver d{control};
  EXPECT_EQ(d.run({0.1, 0.2, 0.3, 0.4, 0.5}).back().stop_reason, stop_reason::kCo2Budget);

  auto t = settings(5, 0);
  t.time_budget_s = 0.5 + 3.6 + 3 * 3.2 + 1.0;  // four epochs and a third of the fifth
  auto timed = make(t);
  timed.begin(0, 5.0, 0.5);
  Driver dt{timed};
  const auto decisions = dt.run({0.1, 0.2, 0.3, 0.4, 0.5});
  EXPECT_EQ(decisions.size(), 4u);
  EXPECT_EQ(decisions.back().stop_reason, stop_reason::kTimeBudget);
  EXPECT_LE(dt.spent_s, t.time_budget_s);
}

TEST(Budget, AFirstEpochThatCannotFitIsRefusedBeforeTraining) {
  auto s = settings(5, 0);
  s.energy_budget_j = 20.0;  // the probe says one epoch costs 32 J
  auto control = make(s);
  try {
    control.begin(0, 5.0, 0.5);
    FAIL() << "a budget below one epoch was accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--energy-budget"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("nothing was trained"), std::string::npos) << e.what();
  }
}

TEST(TargetAccuracy, StopsAtTheFirstEpochReachingItAndRecordsEnergyAndTimeToIt) {
  auto s = settings(6, 0);
  s.target_accuracy = 0.9;
  auto control = make(s);
  control.begin(0, 5.0, 0.5);
  Driver d{control};
  const auto decisions = d.run({0.5, 0.7, 0.89999, 0.91, 0.95, 0.96});
  ASSERT_EQ(decisions.size(), 4u);
  EXPECT_EQ(decisions.back().stop_reason, stop_reason::kTargetAccuracy);
  const auto m = control.metrics();
  EXPECT_EQ(m.at("target_reached_epoch"), 4);  // 1-based, as the card prints it
  EXPECT_DOUBLE_EQ(m.at("energy_to_accuracy_j").get<double>(), 5.0 + 36.0 + 3 * 32.0);
  EXPECT_DOUBLE_EQ(m.at("time_to_accuracy_s").get<double>(), 0.5 + 3.6 + 3 * 3.2);
}

TEST(AutoUnfreeze, UnfreezesWhereTheFrozenGainPerJouleFallsBelowAFullEpochsExpectedGain) {
  // Frozen epochs cost 12 J steady, full ones 32 J (the frozen rate x the probe's ratio 3, plus
  // eval). Rule: unfreeze after frozen epoch k when (a_k - a_{k-1}) / J_frozen <
  // kappa (1 - a_k) / J_full, kappa = 0.25; a_{-1} = chance = 0.1.
  //   epoch 0: 0.5 / 12 J (first epoch: its 4 J warm-up left out) vs 0.25 x 0.4 / 32: stay
  //   epoch 1: 0.08 / 12 vs 0.25 x 0.32 / 32 = 0.0025: 0.0067 >= 0.0025, stay
  //   epoch 2: 0.02 / 12 = 0.00167 vs 0.25 x 0.30 / 32 = 0.00234: unfreeze from epoch 3
  auto s = settings(8, kUnfreezeAuto);
  s.max_frozen_epochs = 5;
  auto control = make(s);
  control.begin(0, 5.0, 0.5);
  EXPECT_EQ(control.phase_of(0), Phase::kFrozen);
  Driver d{control};
  const auto decisions = d.run({0.6, 0.68, 0.70});
  ASSERT_EQ(decisions.size(), 3u);
  EXPECT_EQ(decisions[0].next_phase, Phase::kFrozen);
  EXPECT_EQ(decisions[1].next_phase, Phase::kFrozen);
  EXPECT_EQ(decisions[2].next_phase, Phase::kFull);
  EXPECT_EQ(control.unfreeze_epoch(), 3);
  const auto& n = decisions[2].numbers;
  EXPECT_EQ(n.at("rule"), "gain_per_kj");
  EXPECT_NEAR(n.at("frozen_gain_per_kj").get<double>(), 0.02 / 0.012, 1e-9);
  EXPECT_NEAR(n.at("expected_full_gain_per_kj").get<double>(), 0.25 * 0.30 / 0.032, 1e-9);
  EXPECT_NEAR(n.at("accuracy_before").get<double>(), 0.68, 1e-12);
  EXPECT_EQ(decisions[0].numbers.at("accuracy_before_source"), "chance level (1 / classes)");
  EXPECT_NE(control.phase_reason(3).find("unfrozen"), std::string::npos);
  EXPECT_NE(control.phase_reason(2).find("still frozen"), std::string::npos);
  EXPECT_EQ(control.metrics().at("unfreeze").at("epoch"), 3);
}

TEST(AutoUnfreeze, TheCapUnfreezesWhenTheRuleDoesNot) {
  auto s = settings(8, kUnfreezeAuto);
  s.max_frozen_epochs = 2;
  auto control = make(s);
  control.begin(0, 5.0, 0.5);
  Driver d{control};
  const auto decisions = d.run({0.5, 0.7});  // large gains: the rule alone would stay frozen
  EXPECT_EQ(decisions[0].next_phase, Phase::kFrozen);
  EXPECT_EQ(decisions[1].next_phase, Phase::kFull);
  EXPECT_EQ(decisions[1].numbers.at("rule"), "max_frozen_epochs");
  EXPECT_EQ(control.unfreeze_epoch(), 2);
}

TEST(AutoUnfreeze, TheForecastProjectsTheUnfreezeFromTheFrozenGainsTrend) {
  // Gains 0.5 (from chance), 0.1, shrinking x0.2 per epoch: 0.02 after epoch 2, which is below
  // the rule's threshold (0.25 x 0.3 / 32 J per 12 J = 0.028): unfreezing projected at epoch 3.
  auto s = settings(8, kUnfreezeAuto);
  s.max_frozen_epochs = 6;
  auto control = make(s);
  control.begin(0, 5.0, 0.5);
  Driver d{control};
  d.run({0.6, 0.7});
  EXPECT_EQ(control.projected_unfreeze(3), 3);
  const auto& f = control.forecasts().back();
  EXPECT_EQ(f.after_epochs, 2);
  // Epoch index 2 frozen (decided), full from the projected index 3 on.
  EXPECT_NEAR(f.total_j, d.spent_j + 12.0 + 5 * 32.0, 1e-9);
}

TEST(Plateau, StopsWhenTheLastFullEpochsGainTooLittlePerKilojoule) {
  auto s = settings(10, 0);
  s.plateau = true;
  s.patience = 2;
  auto control = make(s);
  control.begin(0, 5.0, 0.5);
  Driver d{control};
  const auto decisions = d.run({0.5, 0.6, 0.61, 0.6, 0.6, 0.7});
  ASSERT_EQ(decisions.size(), 5u);  // epochs 4-5 did not beat 0.61
  EXPECT_EQ(decisions.back().stop_reason, stop_reason::kPlateau);

  s.min_gain_per_kj = 0.5;  // 0.01 over 64 J = 0.156 per kJ: below
  auto strict = make(s);
  strict.begin(0, 5.0, 0.5);
  Driver ds{strict};
  EXPECT_EQ(ds.run({0.5, 0.6, 0.605, 0.61, 0.9}).size(), 4u);
}

TEST(Plateau, FrozenEpochsDoNotCount) {
  auto s = settings(6, 3);
  s.plateau = true;
  s.patience = 2;
  auto control = make(s);
  control.begin(0, 5.0, 0.5);
  Driver d{control};
  EXPECT_EQ(d.run({0.5, 0.5, 0.5, 0.8, 0.85, 0.9}).size(), 6u);
}

TEST(Resume, TheRestoredControlDecidesAsTheUninterruptedOne) {
  auto s = settings(8, kUnfreezeAuto);
  s.max_frozen_epochs = 5;
  s.energy_budget_j = 5.0 + 16.0 + 2 * 12.0 + 36.0 + 2 * 32.0 + 10.0;
  const std::vector<double> curve = {0.6, 0.68, 0.70, 0.8, 0.85, 0.87, 0.88, 0.89};
  auto whole = make(s);
  whole.begin(0, 5.0, 0.5);
  Driver dw{whole};
  const auto all = dw.run(curve);

  auto cut = make(s);
  cut.begin(0, 5.0, 0.5);
  Driver dc{cut};
  dc.run({0.6, 0.68});  // "interrupted" after epoch 2 (index 1)
  const auto saved = cut.to_json();
  auto resumed = RunControl::from_json(s, nlohmann::json::parse(saved.dump()), 1);
  resumed.begin(2, dc.spent_j, dc.spent_s);
  Driver dr{resumed, dc.spent_j, dc.spent_s, {true, false}};
  const auto rest = dr.run(curve, 2);
  ASSERT_EQ(2 + rest.size(), all.size());
  EXPECT_EQ(rest.back().stop_reason, all.back().stop_reason);
  EXPECT_EQ(rest.back().stop_reason, stop_reason::kEnergyBudget);  // the budget is the run's
  EXPECT_EQ(resumed.unfreeze_epoch(), whole.unfreeze_epoch());
  EXPECT_DOUBLE_EQ(dr.spent_j, dw.spent_j);
  ASSERT_EQ(resumed.forecasts().size(), whole.forecasts().size());
  for (size_t i = 0; i < whole.forecasts().size(); ++i) {
    EXPECT_DOUBLE_EQ(resumed.forecasts()[i].total_j, whole.forecasts()[i].total_j) << i;
  }
  EXPECT_EQ(resumed.metrics().dump(), whole.metrics().dump());
}

}  // namespace
}  // namespace eden::train

namespace eden::train {
namespace {

TEST(Forecaster, CachedFrozenEpochsStandForTheLaterOnesButNotForTheProbesRatio) {
  Forecaster f(kBatches, kEvalBatches);
  f.set_probe(probe());  // full steps cost 3x frozen ones (both running the backbone)
  auto fill = cost_of(Phase::kFrozen, false);  // 10 J train, 2 J eval
  fill.epoch = 0;
  f.add_epoch(fill);
  // Only the filling epoch measured: later frozen epochs at its cost (an upper bound).
  EXPECT_DOUBLE_EQ(f.rate(Phase::kFrozen).train_j, 10.0);
  EpochCost cached = fill;
  cached.epoch = 1;
  cached.train_j = 0.5;
  cached.train_s = 0.05;
  cached.eval_j = 0.1;
  cached.train_cached = cached.eval_cached = true;
  f.add_epoch(cached);
  EXPECT_DOUBLE_EQ(f.rate(Phase::kFrozen).train_j, 0.5);
  EXPECT_EQ(f.rate(Phase::kFrozen).method, "measured (1 cached frozen epoch)");
  EXPECT_DOUBLE_EQ(f.eval_rate(Phase::kFrozen).train_j, 0.1);
  // The full phase: the filling epoch x the probe's 3x, not the cached epoch x 3.
  EXPECT_NEAR(f.rate(Phase::kFull).train_j, 30.0, 1e-9);
  EXPECT_DOUBLE_EQ(f.eval_rate(Phase::kFull).train_j, 2.0);  // the evaluation that ran the model
  const auto fc = f.forecast(2, {Phase::kFrozen, Phase::kFull}, 12.6, 1.3);
  ASSERT_TRUE(fc.has_value());
  EXPECT_NEAR(fc->total_j, 12.6 + (0.5 + 0.1) + (30.0 + 2.0), 1e-9);
  // A resumed run restores the flags.
  const auto back = Forecaster::from_json(f.to_json(), 1);
  EXPECT_DOUBLE_EQ(back.rate(Phase::kFrozen).train_j, 0.5);
}

}  // namespace
}  // namespace eden::train
