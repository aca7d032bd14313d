// Energy of every epoch, as a trainer callback: train and eval windows on an EnergyMonitor,
// the energy columns of log.csv, the run totals of metrics.json, power.csv and emissions.csv.
#pragma once

#include <torch/torch.h>

#include <condition_variable>
#include <filesystem>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>
#include <utility>

#include <nlohmann/json.hpp>

#include "eden/dist/process_group.h"
#include "eden/energy/carbon.h"
#include "eden/energy/monitor.h"
#include "eden/report/csv_log.h"
#include "eden/train/trainer.h"

namespace eden::train {

/// Energy totals carried across a resume (read back from metrics.json).
struct EnergyTotals {
  double energy_j = 0.0;
  double duration_s = 0.0;                           // wall time covered by the windows
  std::map<std::string, double> component_j;         // "device/domain" -> J
  std::map<std::string, std::string> component_src;  // "device/domain" -> measured|estimated
  double timeline_offset_s = 0.0;                    // power.csv time of this segment's start
  double lost_j = 0.0;            // spent on partial epochs that an interruption lost (in energy_j)
  double lost_duration_s = 0.0;   // their wall time (in duration_s)
  double probe_j = 0.0;           // the forecast's start-up probe (in energy_j)
  double probe_duration_s = 0.0;  // its wall time (in duration_s)
};

class EnergyRecorder : public TrainerCallback {
 public:
  /// energy_journal.jsonl in the run directory: a JSON line appended and fsynced every
  /// journal period (5 s; EDEN_ENERGY_JOURNAL_S overrides it) with the energy spent so far,
  /// finished epochs and the open window, so a resume after kill -9 counts the lost work.
  static constexpr const char* kJournal = "energy_journal.jsonl";
  /// Starts the monitor (its sampler thread runs every `sample_period_s`).
  /// In a data-parallel run (`group` set; every rank constructs one, in the same order) each
  /// rank measures its own process and GPU, one rank per machine (the lowest on each
  /// EDEN_NODE_NAME / hostname) also the machine's RAPL counters; every window is gathered to
  /// all ranks and summed, its duration the longest rank's.
  EnergyRecorder(std::filesystem::path run_dir, energy::CarbonOptions carbon, torch::Device device,
                 double sample_period_s, EnergyTotals previous = {},
                 dist::ProcessGroup* group = nullptr);

  void on_train_begin(int64_t epoch, int64_t num_batches) override;
  void on_train_end(int64_t epoch) override;
  void on_eval_begin(int64_t epoch) override;
  void on_eval_end(int64_t epoch) override;
  /// Closes the open window: its energy was spent on work the resume will redo.
  void on_interrupted(int64_t epoch) override;

  /// Adds the epoch's energy columns to `row` (in a group also machine_energy_j, "name=J;...",
  /// and rank_energy_j, "J;J;..." in rank order) and the run totals to `metrics`; appends the
  /// epoch's power samples to power.csv and rewrites emissions.csv (one cumulative row).
  void record_epoch(report::CsvRow& row, nlohmann::json& metrics);

  /// After on_interrupted: adds the lost partial epoch to the totals (energy_j includes it,
  /// energy_lost_j is its part), updates `metrics`, power.csv and emissions.csv.
  void record_lost(nlohmann::json& metrics);

  /// On resume: adds to `previous` (from metrics.json) what the journal saw spent beyond it,
  /// the energy of work a kill lost, as lost energy (energy_j, lost_j, components).
  static EnergyTotals recover_lost(const std::filesystem::path& run_dir, EnergyTotals previous);

  /// Meters `work` (the forecast's start-up probe) as window `name`, summed over the ranks,
  /// and adds it to the run totals (energy_j and energy_probe_j): its joules were spent.
  energy::Measurement measure_one_off(const std::string& name, const std::function<void()>& work);
  /// The last epoch's training and evaluation windows (summed over the ranks), valid from
  /// on_eval_end until the next epoch.
  const energy::Measurement& last_train() const { return train_; }
  const energy::Measurement& last_eval() const { return eval_; }
  /// The run's energy (J, before PUE) and metered time (s) so far, the epoch just closed
  /// included: every segment, the probe and lost work.
  std::pair<double, double> spent();
  /// This rank's open training window so far (nullopt when none is open).
  std::optional<energy::Measurement> peek_train() { return monitor_->peek_window("train"); }

  /// Stops the journal thread; never throws.
  ~EnergyRecorder() override;
  EnergyRecorder(const EnergyRecorder&) = delete;
  EnergyRecorder& operator=(const EnergyRecorder&) = delete;

  /// Reads the totals a previous segment of the run left in metrics.json (zeros if none).
  static EnergyTotals totals_from_metrics(const nlohmann::json& metrics);

  const energy::EnergyMonitor& monitor() const { return *monitor_; }

 private:
  std::filesystem::path dir_;
  energy::CarbonOptions carbon_;
  std::unique_ptr<energy::EnergyMonitor> monitor_;
  /// The window summed over the ranks (itself in one process); components of other machines
  /// get "<machine>:" before their device when the group spans several.
  energy::Measurement gather(const energy::Measurement& mine);
  /// Adds `m` to the run totals; `sources` (optional) collects its components' sources.
  void add_to_totals(const energy::Measurement& m, std::map<std::string, std::string>* sources);
  /// The run totals into `metrics`, the new power samples to power.csv, emissions.csv rewritten.
  void write_totals(nlohmann::json& metrics);

  EnergyTotals totals_;
  energy::Measurement train_, eval_;
  energy::Measurement lost_;  // the windows an interruption closed

  /// The journal line now: totals, closed windows not yet recorded, open windows so far.
  nlohmann::json journal_state();
  void journal_loop(double period_s);
  void append_journal(const nlohmann::json& line) const;
  std::mutex journal_mutex_;  // guards totals_, train_, eval_ and pending_ against the thread
  bool pending_train_ = false, pending_eval_ = false;  // closed, not yet in totals_
  std::condition_variable journal_wake_;
  bool journal_stop_ = false;
  std::thread journal_;
  dist::ProcessGroup* group_ = nullptr;
  std::vector<std::string> rank_machine_;  // machine name per rank
  std::vector<double> rank_j_;             // energy per rank, this segment of the run
  std::vector<double> epoch_rank_j_;       // energy per rank, this epoch (log.csv)
  std::vector<std::string> rank_meters_;   // what each rank reads, e.g. "rapl, nvml"
};

}  // namespace eden::train
