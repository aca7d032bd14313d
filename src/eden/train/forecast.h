// Phase-aware forecast of a run's energy and time: per-phase epoch costs measured so far (one-off
// warm-up taken out), the start-up probe's step costs for a phase not yet measured, evaluation
// apart, extrapolated over the epochs that remain.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/train/phase.h"

namespace eden::train {

/// What one finished epoch cost (in a data-parallel run: summed over the ranks).
struct EpochCost {
  int64_t epoch = 0;
  Phase phase = Phase::kFull;
  double train_j = 0.0, train_s = 0.0;  // the whole training window, warm-up included
  double eval_j = 0.0, eval_s = 0.0;
  /// The one-off part of train_j / train_s: the first steps of a phase's first epoch in a
  /// process (allocator, kernel selection) beyond the steady per-step cost.
  double warmup_j = 0.0, warmup_s = 0.0;
  /// A frozen epoch whose head trained on / evaluated from cached backbone features (the later
  /// frozen epochs will too: they stand for them).
  bool train_cached = false, eval_cached = false;
};

/// A few training steps of each phase and an evaluation batch, timed and metered before the
/// first epoch (Trainer::probe_*): the cost of a phase before any epoch of it ran.
struct ProbeCost {
  int64_t steps = 0;  // the most steps a phase's probe timed (after a warm-up step of each)
  double frozen_step_j = 0.0, frozen_step_s = 0.0;  // per micro-batch; 0 = not probed
  double full_step_j = 0.0, full_step_s = 0.0;
  double eval_batch_j = 0.0, eval_batch_s = 0.0;
  double total_j = 0.0, total_s = 0.0;  // the probe's own cost, warm-up steps included
  double step_j(Phase p) const { return p == Phase::kFrozen ? frozen_step_j : full_step_j; }
  double step_s(Phase p) const { return p == Phase::kFrozen ? frozen_step_s : full_step_s; }
  void set_step(Phase p, double j, double s) {
    (p == Phase::kFrozen ? frozen_step_j : full_step_j) = j;
    (p == Phase::kFrozen ? frozen_step_s : full_step_s) = s;
  }
  bool has(Phase p) const { return step_j(p) > 0.0; }
};

/// One forecast of the whole run, made when `after_epochs` epochs had finished.
struct Forecast {
  int64_t after_epochs = 0;  // 0: at start (from the probe only)
  int64_t epochs = 0;        // the epochs it forecasts for
  double spent_j = 0.0, spent_s = 0.0;
  double total_j = 0.0, total_s = 0.0;  // spent + remaining
  /// Running totals predicted at the end of epochs after_epochs+1 .. epochs (1-based).
  std::vector<double> cumulative_j, cumulative_s;
  std::string method;  // how each phase's rate was obtained
  double remaining_j() const { return total_j - spent_j; }
  double remaining_s() const { return total_s - spent_s; }
  /// Predicted running totals after `epochs_done` epochs (after_epochs < epochs_done <= epochs).
  double cumulative_j_at(int64_t epochs_done) const;
  double cumulative_s_at(int64_t epochs_done) const;
};

/// Per-epoch rate of a phase, J and s, and where it comes from.
struct PhaseRate {
  double train_j = 0.0, train_s = 0.0;
  std::string method;  // "measured over N epochs", "probe: ...", ...
  bool known = false;
};

class Forecaster {
 public:
  /// `train_batches` and `eval_batches`: micro-batches per epoch (this rank's count times the
  /// ranks does not matter: probe costs are already summed over the ranks).
  Forecaster(int64_t train_batches, int64_t eval_batches);

  void set_probe(const ProbeCost& probe) { probe_ = probe; }
  const std::optional<ProbeCost>& probe() const { return probe_; }
  void add_epoch(const EpochCost& cost);
  const std::vector<EpochCost>& epochs() const { return costs_; }

  /// Steady training cost of one epoch of `phase`: the mean over its measured epochs (warm-up
  /// out; of a frozen phase's cached epochs once there are); else the other phase's measured
  /// rate times the probe's step ratio; else the probe's step cost times the batches.
  PhaseRate rate(Phase phase) const;
  /// Evaluation cost after an epoch of `phase`: the measured mean of that phase's evaluations
  /// (cached ones first, as rate()), else of the evaluations that ran the whole model, else the
  /// probe's batch cost times the batches.
  PhaseRate eval_rate(Phase phase) const;
  /// Cost of one more epoch of `phase` (train + eval); nullopt when it cannot be known.
  std::optional<std::pair<double, double>> epoch_cost(Phase phase) const;

  /// The forecast for the epochs in `plan` (their phases, in order) after `spent_j`/`spent_s`;
  /// nullopt when a planned phase has no rate (no epoch and no probe of it).
  std::optional<Forecast> forecast(int64_t after_epochs, const std::vector<Phase>& plan,
                                   double spent_j, double spent_s) const;

  nlohmann::json to_json() const;
  /// Restores to_json's state, keeping the epochs up to `last_epoch` (0-based; -1: none).
  static Forecaster from_json(const nlohmann::json& j, int64_t last_epoch);

 private:
  int64_t train_batches_, eval_batches_;
  std::optional<ProbeCost> probe_;
  std::vector<EpochCost> costs_;
};

/// The one-off part of a window whose first `warm_batches` of `batches` took `warm` (J or s)
/// and the whole `total`: warm - warm_batches x the steady per-batch rate of the rest, >= 0.
double warmup_excess(double warm, double total, int64_t warm_batches, int64_t batches);

/// Quantities as forecasts and decisions print them: "1.92 kWh" / "350 kJ" / "12.5 J",
/// "45 s" / "12.3 min" / "2.9 h", "0.91 kg CO₂e" / "35.2 g CO₂e".
std::string energy_text(double j);
std::string duration_text(double s);
std::string co2_text(double kg);

nlohmann::json to_json(const EpochCost& c);
nlohmann::json to_json(const ProbeCost& p);
nlohmann::json to_json(const Forecast& f);
Forecast forecast_from_json(const nlohmann::json& j);

}  // namespace eden::train
