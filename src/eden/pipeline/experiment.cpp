// `eden run`: upstream -> baseline -> candidate, each a resumable training run.
#include "eden/pipeline/experiment.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <ctime>

#include "eden/report/green_delta.h"
#include "eden/report/model_card.h"
#include "eden/report/overview.h"
#include "eden/report/run_record.h"
#include "eden/util/check.h"
#include "eden/util/directory_lock.h"
#include "eden/util/fs.h"
#include "eden/util/interrupt.h"
#include "eden/util/system.h"
#include "eden/util/yaml_keys.h"

namespace eden::pipeline {
namespace {

namespace fs = std::filesystem;

train::TrainConfig stage_config(const YAML::Node& common, const YAML::Node& stage,
                                const std::string& what) {
  EDEN_CHECK(stage.IsMap(), what, ": expected a mapping of training settings");
  train::TrainConfig cfg;
  if (common) cfg = train::parse_config_yaml(YAML::Dump(common), what + " (common)", cfg);
  cfg = train::parse_config_yaml(YAML::Dump(stage), what, cfg);
  EDEN_CHECK(cfg.out.empty(), what, ": 'out' is set by the experiment; set the experiment's 'out'");
  return cfg;
}

/// Trains `cfg` into `dir`, resumes it if it was interrupted, skips it if it is complete.
/// In a data-parallel group every rank runs the stage; rank 0 looks at the directory and the
/// others follow its decision, then all wait until rank 0's files of the stage are written.
void run_stage(const std::string& stage, train::TrainConfig cfg, const fs::path& dir,
               const train::RunOptions& options, dist::ProcessGroup* group) {
  cfg.out = dir.string();
  const bool writer = train::writes_run_files(group);
  std::string action = "train";
  if (writer && fs::exists(dir / train::RunFiles::kCheckpoint) &&
      fs::exists(dir / train::RunFiles::kMetrics)) {
    const auto m = nlohmann::json::parse(read_file(dir / train::RunFiles::kMetrics));
    // Complete: every epoch ran, or its energy-aware control stopped it (stop_reason).
    const bool complete = m.value("epochs_completed", int64_t{0}) >= cfg.epochs ||
                          !m.value("stop_reason", std::string()).empty();
    action = complete ? "keep" : "resume";
  }
  if (group != nullptr) action = group->all_gather_strings(action).front();
  if (writer) {
    if (action == "keep") {
      fmt::print("[{}] complete in {}, kept\n", stage, dir.string());
    } else if (action == "resume") {
      fmt::print("[{}] resuming {}\n", stage, dir.string());
    } else {
      fmt::print("[{}] {} for {} epochs -> {}\n", stage, cfg.model, cfg.epochs, dir.string());
    }
    std::fflush(stdout);
  }
  try {
    if (action == "resume") {
      train::resume_run(dir, options);
    } else if (action == "train") {
      train::validate(cfg);
      train::train_run(cfg, options);
    }
  } catch (const Interrupted& e) {
    throw Interrupted(e.signal(), "the " + stage + " stage: " + e.detail(), "", e.report());
  }
  // The next stage may read this one's weights (upstream -> candidate) on any rank.
  if (group != nullptr) group->barrier(("end of the " + stage + " stage").c_str());
}

}  // namespace

ExperimentConfig parse_experiment_yaml(const std::string& text, const std::string& what) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    EDEN_CHECK(false, what, ": invalid YAML: ", e.what());
  }
  EDEN_CHECK(root.IsMap(), what, ": expected a mapping with 'baseline' and 'candidate'");
  check_unique_keys(root, what);
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    EDEN_CHECK(key == "name" || key == "out" || key == "common" || key == "upstream" ||
                   key == "baseline" || key == "candidate" || key == "card",
               what, ": unknown key '", key,
               "' (expected name, out, common, upstream, baseline, candidate, card)");
  }
  EDEN_CHECK(root["baseline"] && root["candidate"], what,
             ": an experiment needs 'baseline' and 'candidate' sections");
  ExperimentConfig cfg;
  if (root["name"]) cfg.name = root["name"].as<std::string>();
  if (root["out"]) cfg.out = root["out"].as<std::string>();
  const YAML::Node common = root["common"];
  EDEN_CHECK(!common || common.IsMap(), what, ": 'common' must be a mapping");
  if (root["upstream"]) cfg.upstream = stage_config(common, root["upstream"], what + ": upstream");
  cfg.baseline = stage_config(common, root["baseline"], what + ": baseline");
  cfg.candidate = stage_config(common, root["candidate"], what + ": candidate");
  if (const YAML::Node card = root["card"]) {
    EDEN_CHECK(card.IsMap(), what, ": 'card' must be a mapping (license, base_model, hub_id)");
    for (const auto& kv : card) {
      const auto key = kv.first.as<std::string>();
      EDEN_CHECK(kv.second.IsScalar(), what, ": card: '", key, "' must be a single value");
      const auto value = kv.second.as<std::string>();
      if (key == "license") {
        cfg.card_license = value;
      } else if (key == "base_model") {
        cfg.card_base_model = value;
      } else if (key == "hub_id") {
        cfg.card_hub_id = value;
      } else {
        EDEN_CHECK(false, what, ": card: unknown key '", key,
                   "' (expected license, base_model, hub_id)");
      }
    }
  }
  return cfg;
}

ExperimentConfig load_experiment(const fs::path& path) {
  EDEN_CHECK(fs::exists(path), "experiment file ", path, " does not exist");
  auto cfg = parse_experiment_yaml(read_file(path), path.string());
  cfg.source = path.string();
  return cfg;
}

const char* default_experiment_yaml() {
  return R"(# eden run: the embedded default experiment (Fashion-MNIST, Debian's dataset-fashion-mnist).
# The candidate's backbone is pretrained on classes 0-4 (upstream, energy reported as upstream),
# then fine-tuned with E2AM on classes 5-9; the baseline (the card's ResNet-50) trains on
# classes 5-9 the conventional way: fp32, no freezing, no accumulation, no L1.
name: fashion-mnist-e2am
common:
  data: /usr/share/datasets/fashion-mnist
  batch_size: 128
upstream:
  model: mobilevitv3_xxs
  classes: "0,1,2,3,4"
  epochs: 2
  amp: true
baseline:
  model: resnet50
  classes: "5,6,7,8,9"
  epochs: 2
candidate:
  model: mobilevitv3_xxs
  classes: "5,6,7,8,9"
  epochs: 3
  unfreeze_epoch: 1
  unfreeze_lr_decay: 0.1
  accum: 2
  amp: true
  l1: 1e-5
)";
}

ExperimentResult run_experiment(const ExperimentConfig& cfg, const train::RunOptions& options) {
  // Under a launcher every rank runs every stage (each its shard); rank 0 names the directory
  // (its clock), writes it and the reports.
  dist::ProcessGroup* group = train::process_group(cfg.candidate);
  ExperimentResult r;
  r.wrote_files = train::writes_run_files(group);
  std::string dir =
      cfg.out.empty()
          ? (fs::path("runs") / (cfg.name + "-" + utc_timestamp("%Y%m%d-%H%M%S"))).string()
          : cfg.out;
  if (group != nullptr) dir = group->all_gather_strings(dir).front();
  r.dir = dir;
  DirectoryLock lock;  // one experiment per directory; each stage also locks its run
  if (r.wrote_files) lock = DirectoryLock::acquire(r.dir, "eden run");
  try {
    train::TrainConfig candidate = cfg.candidate;
    if (cfg.upstream) {
      r.upstream_dir = r.dir / "upstream";
      run_stage("upstream", *cfg.upstream, *r.upstream_dir, options, group);
      if (candidate.pretrained.empty()) {
        candidate.pretrained = (*r.upstream_dir / train::RunFiles::kWeights).string();
        candidate.pretrained_head = false;  // the upstream head knows other classes
      }
    }
    r.baseline_dir = r.dir / "baseline";
    run_stage("baseline", cfg.baseline, r.baseline_dir, options, group);
    r.candidate_dir = r.dir / "candidate";
    run_stage("candidate", candidate, r.candidate_dir, options, group);
  } catch (const Interrupted& e) {
    // The stage's own advice names its run; the experiment is continued as a whole.
    throw Interrupted(e.signal(), e.detail(),
                      fmt::format("continue the experiment with: eden run {}--out {}",
                                  cfg.source.empty() ? "" : cfg.source + " ", r.dir.string()),
                      e.report());
  }
  if (!r.wrote_files) return r;

  // The energy that produced the candidate's backbone is part of its cost: record it.
  if (r.upstream_dir) {
    const auto upstream = nlohmann::json::parse(read_file(*r.upstream_dir / "metrics.json"));
    const auto path = r.candidate_dir / train::RunFiles::kMetrics;
    auto m = nlohmann::json::parse(read_file(path));
    m["upstream_run"] = fs::relative(*r.upstream_dir, r.dir).string();
    m["upstream_energy_j"] = upstream.value("energy_j", 0.0);
    m["upstream_energy_source"] = upstream.value("energy_source", std::string("none"));
    write_file_atomic(path, m.dump(2) + "\n");
  }

  fmt::print("[report] comparison, model card, overview\n");
  std::fflush(stdout);
  const auto cand = report::load_run(r.candidate_dir);
  const auto base = report::load_run(r.baseline_dir);
  const auto delta = report::compare_runs(cand, base);
  const auto table = report::write_green_delta(delta, cand, base, r.candidate_dir);
  report::CardOptions card_options;
  card_options.project_dir = r.dir;
  card_options.license = cfg.card_license;
  card_options.base_model = cfg.card_base_model;
  card_options.hub_id = cfg.card_hub_id;
  const auto card = report::write_model_card(cand, base, card_options);
  report::OverviewOptions overview_options;
  overview_options.baseline = r.baseline_dir;
  const auto overview =
      report::write_overview(report::build_overview(r.dir, overview_options), r.dir);
  r.green_delta = table.first;
  r.card = card.readme;
  r.overview = overview.markdown;
  if (card.training_curve) r.figures.push_back(card.training_curve->png);
  if (card.overview) r.figures.push_back(card.overview->png);
  if (overview.figure) r.figures.push_back(overview.figure->png);
  fmt::print("{}\n", report::describe(delta));
  return r;
}

}  // namespace eden::pipeline
