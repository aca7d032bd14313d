// A training run end to end: data, model, trainer, and the run directory (config.yaml,
// run.json, log.csv, metrics.json, classes.txt, checkpoint.pt). What `eden train`,
// `eden eval` and `eden run` call.
#pragma once

#include <filesystem>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/data/dataset.h"
#include "eden/dist/process_group.h"
#include "eden/eval/metrics.h"
#include "eden/train/config.h"
#include "eden/train/trainer.h"

namespace eden::train {

namespace fs = std::filesystem;

/// File names inside a run directory.
struct RunFiles {
  static constexpr const char* kConfig = "config.yaml";
  static constexpr const char* kRunInfo = "run.json";
  static constexpr const char* kEnv = "env.json";
  static constexpr const char* kPower = "power.csv";
  static constexpr const char* kEmissions = "emissions.csv";
  static constexpr const char* kLog = "log.csv";
  static constexpr const char* kMetrics = "metrics.json";
  static constexpr const char* kClasses = "classes.txt";
  static constexpr const char* kSkipped = "skipped.txt";  // image folders: files left out
  static constexpr const char* kCheckpoint = "checkpoint.pt";
  static constexpr const char* kWeights = "model.safetensors";
};

struct RunOptions {
  bool progress = true;  // print progress (bar on a terminal, a line per epoch otherwise)
  std::vector<TrainerCallback*> callbacks;  // extra hooks (e.g. energy windows)
};

struct RunSummary {
  fs::path dir;
  std::vector<EpochStats> epochs;  // the epochs this call ran (after a resume: the rest)
  eval::EvalResult final_eval;
  nlohmann::json metrics;   // what metrics.json holds
  bool wrote_files = true;  // false on the ranks of a data-parallel run other than rank 0
};

/// This process's data-parallel group: joined on the first call when a launcher's environment
/// is set (torchrun's or Slurm's variables; within cfg.dist_timeout), nullptr in one process.
/// One per process, for every run it does: a process is one rank of one job.
dist::ProcessGroup* process_group(const TrainConfig& cfg);
/// Rank 0 (or the only process) writes run and experiment directories; other ranks write nothing.
bool writes_run_files(const dist::ProcessGroup* group);

/// Loads the data set named by cfg.data (IDX, CIFAR or image folder), applying the class
/// subset and limits: select_data(load_source_data(cfg), cfg).
data::DataSplits load_data(const TrainConfig& cfg);
/// What determines the data a run loads before select_data (format, folder, and for image
/// folders size, hold-out and budget): runs with equal keys can share one load.
std::string data_source_key(const TrainConfig& cfg);
/// The whole data set as cfg names it (printing its summary on the writing rank).
data::DataSplits load_source_data(const TrainConfig& cfg);
/// cfg's classes, train_limit and eval_limit applied to a loaded data set (its tensors shared
/// when nothing is dropped).
data::DataSplits select_data(data::DataSplits all, const TrainConfig& cfg);

/// Resolves "auto" and checks that the device exists.
torch::Device resolve_device(const std::string& name);

/// Trains per `cfg` into cfg.out (or runs/<model>-<time>). Refuses an existing run directory
/// that already has a checkpoint (use resume_run).
RunSummary train_run(const TrainConfig& cfg, const RunOptions& options = {});
/// Same, on data already in memory (tests, pipelines).
RunSummary train_run(const TrainConfig& cfg, const data::DataSplits& data,
                     const RunOptions& options = {});

/// Continues an interrupted run from its checkpoint with its saved config; ends with the same
/// weights as an uninterrupted run of the same seed.
RunSummary resume_run(const fs::path& dir, const RunOptions& options = {});
RunSummary resume_run(const fs::path& dir, const data::DataSplits& data,
                      const RunOptions& options = {});

/// Re-evaluates a saved run's checkpoint on its evaluation split; writes eval.json.
nlohmann::json evaluate_run(const fs::path& dir);

}  // namespace eden::train
