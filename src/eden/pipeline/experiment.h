// An EDEN experiment (`eden run`): an upstream run that trains the candidates' backbone on other
// data, a baseline run, one or more candidate runs (the E2AM recipe) that start from that
// backbone, each repeated over N seeds; then the comparisons (with intervals over the seeds),
// a model card per candidate and the project overview. Interrupted experiments resume.
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
  /// Trains the candidates' backbone (e.g. on other classes); its energy is upstream energy.
  std::optional<train::TrainConfig> upstream;
  train::TrainConfig baseline;
  struct Candidate {
    std::string name;  // its folder; "candidate" for the single `candidate:` section
    train::TrainConfig config;
  };
  std::vector<Candidate> candidates;
  /// Each stage runs with seeds seed, seed+1, ..., seed+repeats-1 (its own `seed` setting);
  /// candidate and baseline runs are paired by that index, and the candidate of repeat k starts
  /// from the upstream run of repeat k.
  int64_t repeats = 1;
};

/// Largest `repeats` accepted: a study is N runs of every stage.
constexpr int64_t kMaxRepeats = 100;

/// Throws eden::Error naming `what` unless 1 <= repeats <= kMaxRepeats.
void check_repeats(int64_t repeats, const std::string& what);

/// Parses the experiment YAML: `name`, `out`, a `common` mapping applied to every run,
/// `upstream` (optional), `baseline`, and either `candidate` (one mapping of TrainConfig keys)
/// or `candidates` (a list of such mappings, each with a unique `name`: letters, digits, '.',
/// '-', '_'), `repeats` (optional, 1 to kMaxRepeats), and `card` (optional: license,
/// base_model, hub_id of the candidates' model cards).
ExperimentConfig parse_experiment_yaml(const std::string& text, const std::string& what);
ExperimentConfig load_experiment(const std::filesystem::path& path);

/// The experiment `eden run` runs with no argument (Fashion-MNIST, about 10 minutes on 2 cores).
const char* default_experiment_yaml();

/// Where stage `stage` ("upstream", "baseline" or a candidate's name) of repeat `index` (0-based,
/// seed = the stage's seed + index) lives: `<dir>/<stage>` with one repeat (the layout of a
/// single run), `<dir>/<stage>/seed-<seed>` with more.
std::filesystem::path stage_dir(const std::filesystem::path& dir, const std::string& stage,
                                int64_t seed, int64_t repeats);

struct CandidateResult {
  std::string name;
  std::vector<std::filesystem::path> runs;  // one per repeat
  std::filesystem::path green_delta;        // green_delta.md (with intervals when repeated)
  std::filesystem::path card;               // README.md (Hugging Face model card)
};

struct ExperimentResult {
  std::filesystem::path dir;
  std::vector<std::filesystem::path> upstream_runs;  // empty without an upstream stage
  std::vector<std::filesystem::path> baseline_runs;
  std::vector<CandidateResult> candidates;
  std::filesystem::path overview;  // overview.md
  std::vector<std::filesystem::path> figures;
  bool wrote_files = true;  // false on the ranks of a data-parallel run other than rank 0
};

/// Runs (or resumes) every stage into `cfg.out`; completed runs are kept, not redone. Under a
/// launcher (torchrun's or Slurm's environment) each stage trains data-parallel on every rank;
/// rank 0 alone writes the directory and the reports.
ExperimentResult run_experiment(const ExperimentConfig& cfg, const train::RunOptions& options = {});

}  // namespace eden::pipeline
