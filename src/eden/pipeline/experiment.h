// An EDEN experiment (`eden run`): an upstream run that trains the candidate's backbone on other
// data, a baseline run, a candidate run with the E2AM recipe that starts from that backbone,
// then the comparison, the model card and the project overview. Interrupted experiments resume.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eden/train/config.h"
#include "eden/train/run.h"

namespace eden::pipeline {

struct ExperimentConfig {
  std::string name = "eden-experiment";
  std::string out;     // experiment directory; empty = runs/<name>-<UTC time>
  std::string source;  // the YAML file it came from; empty for the embedded default
  /// `card:` mapping: the candidate's model card metadata (all optional).
  std::string card_license;     // license
  std::string card_base_model;  // base_model
  std::string card_hub_id;      // hub_id
  /// Trains the candidate's backbone (e.g. on other classes); its energy is upstream energy.
  std::optional<train::TrainConfig> upstream;
  train::TrainConfig baseline;
  train::TrainConfig candidate;
};

/// Parses the experiment YAML: `name`, `out`, a `common` mapping applied to every run,
/// `upstream` (optional), `baseline`, `candidate` mappings of TrainConfig keys, and `card`
/// (optional: license, base_model, hub_id of the candidate's model card).
ExperimentConfig parse_experiment_yaml(const std::string& text, const std::string& what);
ExperimentConfig load_experiment(const std::filesystem::path& path);

/// The experiment `eden run` runs with no argument (Fashion-MNIST, about 10 minutes on 2 cores).
const char* default_experiment_yaml();

struct ExperimentResult {
  std::filesystem::path dir;
  std::optional<std::filesystem::path> upstream_dir;
  std::filesystem::path baseline_dir;
  std::filesystem::path candidate_dir;
  std::filesystem::path green_delta;  // green_delta.md
  std::filesystem::path card;         // the candidate's README.md (Hugging Face model card)
  std::filesystem::path overview;     // overview.md
  std::vector<std::filesystem::path> figures;
  bool wrote_files = true;  // false on the ranks of a data-parallel run other than rank 0
};

/// Runs (or resumes) every stage into `cfg.out`; completed runs are kept, not redone. Under a
/// launcher (torchrun's or Slurm's environment) each stage trains data-parallel on every rank;
/// rank 0 alone writes the directory and the reports.
ExperimentResult run_experiment(const ExperimentConfig& cfg, const train::RunOptions& options = {});

}  // namespace eden::pipeline
