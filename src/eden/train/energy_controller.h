// The energy-aware run control as a trainer callback: meters the start-up probe, splits each
// phase's first-epoch warm-up off, hands every epoch's measured outcome to RunControl, applies
// its decisions (unfreeze, stop) to the trainer on every rank, and says what it decided.
#pragma once

#include <cstdio>
#include <optional>
#include <string>

#include <nlohmann/json.hpp>

#include "eden/data/batch_loader.h"
#include "eden/dist/process_group.h"
#include "eden/report/csv_log.h"
#include "eden/train/energy_recorder.h"
#include "eden/train/run_control.h"
#include "eden/train/trainer.h"

namespace eden::train {

class EnergyController : public TrainerCallback {
 public:
  /// `control`: the deciding state, on the run directory's writer (rank 0 or the only
  /// process); nullopt on the other ranks, which follow rank 0's decisions. `out` receives
  /// the forecast and decision lines (nullptr: silent).
  EnergyController(std::optional<RunControl> control, Trainer& trainer, EnergyRecorder& energy,
                   dist::ProcessGroup* group, std::FILE* out);

  /// Before the first epoch of this process: the probe when the forecast needs one (on every
  /// rank), the forecast at start, the unfreeze epoch known so far into the trainer. Throws
  /// eden::Error when a budget cannot fit even the first epoch.
  void begin(int64_t start_epoch, data::BatchLoader& train, data::BatchLoader& eval);

  void on_train_begin(int64_t epoch, int64_t num_batches) override;
  void on_batch_end(int64_t batch, int64_t num_batches, int64_t images) override;
  /// Decides (rank 0), shares the decision with every rank, applies it.
  void on_epoch_end(const EpochStats& stats) override;

  /// log.csv columns of the epoch just decided: phase_reason, forecast_j, forecast_s, decision.
  void add_columns(report::CsvRow& row) const;
  /// What RunControl::metrics() says, into `metrics`.
  void add_metrics(nlohmann::json& metrics) const;
  /// run.json's "control" section (writer only).
  nlohmann::json state() const;
  /// Text for the end of the epoch line, and lines to print after it ("" when none).
  std::string epoch_suffix() const { return suffix_; }
  std::string epoch_lines() const { return lines_; }

  const std::optional<RunControl>& control() const { return control_; }

 private:
  /// Rank 0's `text` on every rank (itself in one process).
  std::string shared(const std::string& text);
  std::string describe(const Forecast& f, bool with_remaining) const;

  std::optional<RunControl> control_;
  Trainer& trainer_;
  EnergyRecorder& energy_;
  dist::ProcessGroup* group_;
  std::FILE* out_;
  // Warm-up split of a phase's first epoch in this process (this rank's meters).
  bool seen_phase_[2] = {false, false};
  int64_t warm_batches_ = 0, num_batches_ = 0;
  std::optional<energy::Measurement> warm_, whole_;
  std::string phase_reason_, suffix_, lines_;
  std::optional<Forecast> last_forecast_;
  std::string decision_;
};

}  // namespace eden::train
