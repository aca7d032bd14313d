// A training run read back from its run directory (metrics.json, config.yaml, log.csv, run.json,
// env.json, classes.txt): every report number comes from here, so reports say what the files say.
#pragma once

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace eden::report {

namespace fs = std::filesystem;

/// One row of log.csv. Numbers missing from the log (older runs) are NaN.
struct EpochRecord {
  int64_t epoch = 0;  // 0-based, as in log.csv
  std::string phase;  // "frozen" | "full"
  double lr = 0.0;
  double train_loss = 0.0;
  double eval_top1 = 0.0;  // fraction
  double eval_f1 = 0.0;    // macro-F1, fraction
  double epoch_time_s = 0.0;
  double energy_j = 0.0;      // this epoch
  double energy_cum_j = 0.0;  // since the start of the run
  double co2_kg_cum = 0.0;
  std::string energy_source;  // measured | estimated | mixed | none
  /// Where the backbone's features came from: computed | stored | cached ("" in older logs).
  std::string train_features;
  std::string eval_features;
};

/// How CO2 was derived from energy (metrics.json "carbon").
struct CarbonRecord {
  double intensity_g_per_kwh = 0.0;
  double pue = 1.0;
  std::string intensity_source;  // e.g. "world-default", "country", "user"
  std::string country_iso3;      // "" when the world average applied
  std::string country_name;
  int64_t intensity_year = 0;
  std::string reference;
};

/// One metered component's total (metrics.json "energy_components").
struct EnergyComponentRecord {
  std::string device;  // cpu, gpu0, memory, ...
  std::string domain;  // package, dram, gpu, ...
  std::string source;  // measured | estimated
  double energy_j = 0.0;
};

struct RunRecord {
  fs::path dir;
  std::string name;  // the directory's own name

  // metrics.json
  std::string model;
  std::string data;  // data set name, e.g. "fashion-mnist"
  int64_t parameters = 0;
  int64_t epochs = 0;
  int64_t epochs_completed = 0;
  double accuracy = 0.0;  // eval_top1, fraction
  double top5 = 0.0;
  double macro_f1 = 0.0;
  double eval_loss = 0.0;
  double sparsity = -1.0;  // fraction of zero weights at the end; -1 when not recorded
  double duration_s = 0.0;
  double energy_j = 0.0;
  double energy_kwh = 0.0;
  double co2_kg = 0.0;
  std::string energy_source;  // measured | estimated | mixed | none
  CarbonRecord carbon;
  std::vector<EnergyComponentRecord> energy_components;
  std::vector<std::pair<std::string, double>> per_class_accuracy;  // in classes.txt order
  nlohmann::json metrics;                                          // the whole file

  std::map<std::string, std::string> config;           // config.yaml, every scalar as text
  nlohmann::json run_info = nlohmann::json::object();  // run.json; empty when absent
  nlohmann::json env;  // env.json (`eden env --json` at training time); null when absent
  std::vector<std::string> classes;  // classes.txt; empty when absent
  std::vector<EpochRecord> log;      // log.csv

  /// Why the run ended (metrics.json stop_reason: epochs, target_accuracy, energy_budget,
  /// co2_budget, time_budget, plateau); empty for a run still going, interrupted, or written
  /// by an EDEN without energy-aware control.
  std::string stop_reason;
  std::string stop_detail;

  /// Finished: every epoch ran, or the run's control stopped it early on purpose.
  bool complete() const { return epochs_completed >= epochs || !stop_reason.empty(); }
  bool stopped_early() const { return !stop_reason.empty() && stop_reason != "epochs"; }
  /// Epochs the backbone was frozen for: the epoch it unfroze at (an auto run's decision, or
  /// config.yaml's unfreeze_epoch), all epochs run when an auto run never unfroze; 0 = none.
  int64_t frozen_epochs() const;
  bool has_env() const { return env.is_object(); }

  /// config.yaml value of `key`, or `fallback` when the key is absent.
  std::string config_text(const std::string& key, const std::string& fallback = "") const;
  /// Numeric config value; throws eden::Error naming the run and key when it is not a number.
  double config_number(const std::string& key, double fallback = 0.0) const;
  bool config_flag(const std::string& key) const;
  /// run.json value of `key` as text ("" when absent).
  std::string info_text(const std::string& key) const;
};

/// True when `dir` holds a metrics.json (what `eden overview` counts as a run).
bool is_run_directory(const fs::path& dir);

/// Reads a run directory. metrics.json, config.yaml and log.csv must exist and parse;
/// run.json, env.json and classes.txt are optional. Throws eden::Error naming the file and what
/// is wrong with it.
RunRecord load_run(const fs::path& dir);

}  // namespace eden::report
