// Energy-aware control of a run, decided at epoch boundaries from what was measured: when to
// unfreeze the backbone (--unfreeze-epoch auto), when to stop (target accuracy, plateau in
// accuracy per kJ, energy / CO2 / time budgets), and the phase-aware forecast behind them.
// Pure logic over epoch outcomes: the trainer callback (energy_controller.h) feeds it.
#pragma once

#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/train/config.h"
#include "eden/train/forecast.h"
#include "eden/train/phase.h"

namespace eden::train {

/// An auto-unfreezing run's backbone is frozen until a decision sets the epoch.
constexpr int64_t kUnfreezeUndecided = std::numeric_limits<int64_t>::max();

/// The stop reasons, as metrics.json and the card write them.
namespace stop_reason {
constexpr const char* kEpochs = "epochs";
constexpr const char* kTargetAccuracy = "target_accuracy";
constexpr const char* kEnergyBudget = "energy_budget";
constexpr const char* kCo2Budget = "co2_budget";
constexpr const char* kTimeBudget = "time_budget";
constexpr const char* kPlateau = "plateau";
}  // namespace stop_reason

struct ControlSettings {
  int64_t epochs = 1;
  int64_t unfreeze_epoch = 0;     // fixed epoch, or kUnfreezeAuto
  int64_t max_frozen_epochs = 1;  // auto: cap on frozen epochs (resolved, >= 1)
  double full_epoch_gain = 0.7;   // auto: expected fraction of the remaining error per full epoch
  double energy_budget_j = 0.0;   // facility energy (x PUE); 0 = none
  double co2_budget_kg = 0.0;
  double time_budget_s = 0.0;
  double target_accuracy = 0.0;  // eval top-1 fraction; 0 = none
  bool plateau = false;
  int64_t patience = 2;
  double min_gain_per_kj = 0.0;  // top-1 fraction per kJ
  int64_t num_classes = 2;       // chance level 1/C before the first epoch
  double pue = 1.0;
  double g_per_kwh = 475.0;  // carbon intensity in use
  bool auto_unfreeze() const { return unfreeze_epoch == kUnfreezeAuto; }
  bool has_budget() const { return energy_budget_j > 0 || co2_budget_kg > 0 || time_budget_s > 0; }
  /// From the run's config (budgets parsed) and its resolved carbon intensity.
  static ControlSettings from(const TrainConfig& cfg, int64_t num_classes, double g_per_kwh);
};

/// What a finished epoch delivered and cost; spent_* are the run's totals after it (probe and
/// lost work included), IT energy before PUE.
struct EpochOutcome {
  double top1 = 0.0;
  EpochCost cost;
  double spent_j = 0.0, spent_s = 0.0;
};

/// What was decided at the end of epoch `epoch` (0-based).
struct Decision {
  int64_t epoch = 0;
  Phase next_phase = Phase::kFull;  // of epoch + 1
  std::string stop_reason;          // empty: the run goes on
  std::string detail;               // one sentence with the numbers, for logs and the card
  nlohmann::json numbers = nlohmann::json::object();  // what the rules used
};

class RunControl {
 public:
  RunControl(ControlSettings settings, Forecaster forecaster);
  const ControlSettings& settings() const { return settings_; }
  Forecaster& forecaster() { return forecaster_; }
  const Forecaster& forecaster() const { return forecaster_; }

  /// The epoch the backbone unfreezes at (kUnfreezeUndecided while an auto run is frozen).
  int64_t unfreeze_epoch() const { return unfreeze_epoch_; }
  Phase phase_of(int64_t epoch) const {
    return epoch < unfreeze_epoch_ ? Phase::kFrozen : Phase::kFull;
  }
  /// An undecided auto run's expected unfreeze epoch (>= from): the last two frozen gains'
  /// ratio extrapolated until the rule would fire, the cap at the latest; `from` (the costlier
  /// assumption) when there is no trend yet.
  int64_t projected_unfreeze(int64_t from) const;
  /// Why epoch `epoch` has its phase (log.csv's phase_reason).
  std::string phase_reason(int64_t epoch) const;

  /// Whether a start-up probe is needed before `start_epoch`: a phase ahead has no measured
  /// epoch and no probe yet (frozen then full), or a budget is set and no epoch was measured.
  bool needs_probe(int64_t start_epoch) const;
  /// Which phases the probe should measure (the ones ahead of `start_epoch`).
  std::vector<Phase> probe_phases(int64_t start_epoch) const;

  /// Before epoch `start_epoch`: the forecast from what is known (nullopt without rates), kept
  /// with the others. Throws eden::Error when a budget is set and the first epoch alone would
  /// cross it (nothing is trained then).
  std::optional<Forecast> begin(int64_t start_epoch, double spent_j, double spent_s);
  /// Records epoch `epoch`'s outcome, forecasts the rest, decides the next phase and whether to
  /// stop. A stop (or the last epoch) also computes each forecast's error.
  Decision end_epoch(int64_t epoch, const EpochOutcome& outcome);

  /// A resumed run without saved control state (begun by an older EDEN): epochs [0, n)
  /// count as done with unknown outcomes.
  void skip_epochs(int64_t n);

  const std::vector<Forecast>& forecasts() const { return forecasts_; }
  const std::vector<Decision>& decisions() const { return decisions_; }
  /// The decision that ended the run, if it ended.
  const Decision* final_decision() const;

  /// run.json's "control": settings, the forecaster's state, outcomes, forecasts, decisions,
  /// and (once ended) each forecast's error.
  nlohmann::json to_json() const;
  /// Restores to_json's state for a run resumed after epoch `last_epoch` (0-based).
  static RunControl from_json(ControlSettings settings, const nlohmann::json& j,
                              int64_t last_epoch);
  /// metrics.json's part: stop reason, energy/time to accuracy, unfreezing, budgets, the
  /// forecast after epoch 1 and its error.
  nlohmann::json metrics() const;

  /// Facility energy (x PUE), kWh and CO2 of `energy_j` measured.
  double facility_j(double energy_j) const { return energy_j * settings_.pue; }
  double co2_kg(double energy_j) const;

 private:
  /// The phases of epochs [from, epochs) as planned now: `next` for `from`, then the fixed or
  /// decided unfreeze epoch, or for an undecided auto run the projected one.
  std::vector<Phase> plan(int64_t from, Phase next) const;
  /// auto: whether to unfreeze from epoch + 1, with the rule's numbers.
  bool decide_unfreeze(int64_t epoch, const EpochOutcome& o, Decision& d) const;
  bool plateaued(int64_t epoch, Decision& d) const;
  /// The budget the next epoch (cost `cost_j`, `cost_s`) would cross, "" if none.
  std::string crossed_budget(double spent_j, double spent_s, double cost_j, double cost_s,
                             Decision& d) const;
  void finish(int64_t epochs_done, double actual_j, double actual_s);

  ControlSettings settings_;
  Forecaster forecaster_;
  int64_t unfreeze_epoch_;
  std::string unfreeze_reason_;         // auto: the decision's detail
  std::vector<EpochOutcome> outcomes_;  // index = epoch
  std::vector<Forecast> forecasts_;
  std::vector<Decision> decisions_;
  std::optional<int64_t> target_epoch_;  // first epoch reaching the target
  double target_j_ = 0.0, target_s_ = 0.0;
  nlohmann::json errors_;  // each forecast's error, once ended
};

}  // namespace eden::train
