// `eden run`: upstream -> baseline -> candidates, each a resumable training run, per seed.
#include "eden/pipeline/experiment.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <set>

#include "eden/pipeline/data_pool.h"
#include "eden/report/green_delta.h"
#include "eden/report/model_card.h"
#include "eden/report/overview.h"
#include "eden/report/repeated_delta.h"
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

/// `candidates:`: a list of mappings, each a `name` and its settings over `common`.
std::vector<ExperimentConfig::Candidate> parse_candidates(const YAML::Node& common,
                                                          const YAML::Node& list,
                                                          const std::string& what) {
  EDEN_CHECK(list.IsSequence() && list.size() > 0, what,
             ": 'candidates' must be a list of mappings, each with a 'name' and its settings, "
             "e.g. candidates: [{name: e2am, model: mobilevitv3_xxs}]");
  std::vector<ExperimentConfig::Candidate> out;
  std::set<std::string> names;
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node entry = list[i];
    const std::string where = fmt::format("{}: candidates[{}]", what, i);
    EDEN_CHECK(entry.IsMap(), where, ": expected a mapping with a 'name' and training settings");
    EDEN_CHECK(entry["name"] && entry["name"].IsScalar(), where,
               ": every candidate needs a 'name' (its folder in the experiment directory)");
    const auto name = entry["name"].as<std::string>();
    const std::string named = fmt::format("{}: candidate '{}'", what, name);
    EDEN_CHECK(!name.empty() && name[0] != '.' && name.size() <= 64 &&
                   std::all_of(name.begin(), name.end(),
                               [](char c) {
                                 return std::isalnum(static_cast<unsigned char>(c)) != 0 ||
                                        c == '-' || c == '_' || c == '.';
                               }),
               where, ": name '", name,
               "' must be 1 to 64 letters, digits, '-', '_' or '.' and not start with '.' (it "
               "names a folder)");
    EDEN_CHECK(name != "upstream" && name != "baseline", where, ": name '", name,
               "' is a stage of every experiment; choose another name");
    EDEN_CHECK(names.insert(name).second, where, ": name '", name,
               "' is given to two candidates; each needs its own folder");
    YAML::Node settings = YAML::Clone(entry);
    settings.remove("name");
    out.push_back({name, stage_config(common, settings, named)});
  }
  return out;
}

/// Trains `cfg` into `dir`, resumes it if it was interrupted, skips it if it is complete.
/// In a data-parallel group every rank runs the stage; rank 0 looks at the directory and the
/// others follow its decision, then all wait until rank 0's files of the stage are written.
void run_stage(const std::string& stage, train::TrainConfig cfg, const fs::path& dir,
               const train::RunOptions& options, dist::ProcessGroup* group, DataPool& pool) {
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
    // The data comes from the experiment's pool: one load per distinct data set.
    if (action == "resume") {
      const auto saved = train::load_saved_config(dir / train::RunFiles::kConfig);
      train::resume_run(dir, pool.get(saved, stage, writer), options);
    } else if (action == "train") {
      train::validate(cfg);
      train::train_run(cfg, pool.get(cfg, stage, writer), options);
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
                   key == "baseline" || key == "candidate" || key == "candidates" ||
                   key == "repeats" || key == "card",
               what, ": unknown key '", key,
               "' (expected name, out, common, upstream, baseline, candidate or candidates, "
               "repeats, card)");
  }
  EDEN_CHECK(!(root["candidate"] && root["candidates"]), what,
             ": both 'candidate' and 'candidates' are given; list every candidate under "
             "'candidates' (each with a name)");
  EDEN_CHECK(root["baseline"] && (root["candidate"] || root["candidates"]), what,
             ": an experiment needs 'baseline' and 'candidate' (or 'candidates') sections");
  ExperimentConfig cfg;
  if (root["name"]) cfg.name = root["name"].as<std::string>();
  if (root["out"]) cfg.out = root["out"].as<std::string>();
  const YAML::Node common = root["common"];
  EDEN_CHECK(!common || common.IsMap(), what, ": 'common' must be a mapping");
  if (root["upstream"]) cfg.upstream = stage_config(common, root["upstream"], what + ": upstream");
  cfg.baseline = stage_config(common, root["baseline"], what + ": baseline");
  if (root["candidate"]) {
    cfg.candidates.push_back(
        {"candidate", stage_config(common, root["candidate"], what + ": candidate")});
  } else {
    cfg.candidates = parse_candidates(common, root["candidates"], what);
  }
  if (const YAML::Node repeats = root["repeats"]) {
    int64_t n = 0;
    try {
      n = repeats.as<int64_t>();
    } catch (const YAML::Exception&) {
      EDEN_CHECK(false, what, ": repeats: expected a whole number of seeds, got '",
                 repeats.IsScalar() ? repeats.as<std::string>() : YAML::Dump(repeats), "'");
    }
    check_repeats(n, what + ": repeats");
    cfg.repeats = n;
  }
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

void check_repeats(int64_t repeats, const std::string& what) {
  EDEN_CHECK(repeats >= 1 && repeats <= kMaxRepeats, what, ": ", repeats,
             " is not a number of seeds from 1 to ", kMaxRepeats,
             " (3 to 10 give useful intervals; 1 runs each stage once)");
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

fs::path stage_dir(const fs::path& dir, const std::string& stage, int64_t seed, int64_t repeats) {
  return repeats == 1 ? dir / stage : dir / stage / fmt::format("seed-{}", seed);
}

namespace {

/// Runs from an earlier invocation in the other layout (one repeat: `<stage>/`, several:
/// `<stage>/seed-<k>/`) would be neither reused nor compared: refuse instead of mixing them.
void check_layout(const fs::path& dir, const std::string& stage, int64_t repeats,
                  const std::string& source) {
  const fs::path folder = dir / stage;
  std::error_code ec;
  if (!fs::is_directory(folder, ec)) return;
  const bool single = fs::exists(folder / train::RunFiles::kConfig, ec);
  bool seeds = false;
  for (const auto& e : fs::directory_iterator(folder, ec)) {
    seeds = seeds || e.path().filename().string().rfind("seed-", 0) == 0;
  }
  const std::string fix = fmt::format(
      "; hint: continue it with the repeats it was started with, or start a new experiment "
      "directory (eden run {}--out NEW)",
      source.empty() ? "" : source + " ");
  EDEN_CHECK(!(repeats > 1 && single), folder,
             " holds one run from this experiment started with repeats 1; repeats ", repeats,
             " puts each seed in ", stage, "/seed-<k>/", fix);
  EDEN_CHECK(!(repeats == 1 && seeds), folder,
             " holds seed-<k> runs from this experiment started with repeats > 1; repeats 1 "
             "puts the run in ",
             stage, "/ itself", fix);
}

/// The stage's name in progress lines: "baseline", or "baseline seed 3" in a study.
std::string stage_label(const std::string& stage, int64_t seed, int64_t repeats) {
  return repeats == 1 ? stage : fmt::format("{} seed {}", stage, seed);
}

std::string relative_name(const fs::path& run, const fs::path& root) {
  return fs::relative(run, root).generic_string();
}

constexpr const char* kSummaryFile = "experiment.json";
constexpr const char* kDataPreparationNote =
    "each load's time and energy are paid once for all its stages (this experiment's data "
    "preparation) and are not part of any run's training energy";

/// experiment.json as an earlier invocation left it; {} when absent or unreadable.
nlohmann::json read_summary(const fs::path& dir) {
  const fs::path path = dir / kSummaryFile;
  if (!fs::exists(path)) return nlohmann::json::object();
  try {
    auto j = nlohmann::json::parse(read_file(path));
    return j.is_object() ? j : nlohmann::json::object();
  } catch (const nlohmann::json::exception&) {
    return nlohmann::json::object();  // rewritten from what this invocation knows
  }
}

/// Every invocation's loads: the earlier ones' from experiment.json, then this one's.
nlohmann::json data_preparation(const fs::path& dir, const DataPool& pool) {
  nlohmann::json prep = read_summary(dir).value("data_preparation", nlohmann::json::array());
  const std::string now = utc_timestamp("%Y-%m-%dT%H:%M:%SZ");
  for (auto load : pool.report()) {
    load["at"] = now;
    prep.push_back(std::move(load));
  }
  return prep;
}

/// The sum over every load of the experiment: what its data preparation cost in all.
nlohmann::json data_preparation_total(const nlohmann::json& prep) {
  double load_s = 0.0, energy_j = 0.0;
  int64_t stages = 0;
  std::set<std::string> sources;
  for (const auto& load : prep) {
    load_s += load.value("load_s", 0.0);
    energy_j += load.value("energy_j", 0.0);
    stages += static_cast<int64_t>(load.value("stages", nlohmann::json::array()).size());
    sources.insert(load.value("energy_source", std::string("none")));
  }
  return {{"loads", prep.size()},
          {"stages", stages},
          {"load_s", load_s},
          {"energy_j", energy_j},
          {"energy_source", sources.size() == 1 ? *sources.begin() : std::string("mixed")},
          {"note", kDataPreparationNote}};
}

}  // namespace

ExperimentResult run_experiment(const ExperimentConfig& cfg, const train::RunOptions& options) {
  EDEN_CHECK(!cfg.candidates.empty(), "experiment '", cfg.name, "' has no candidate");
  check_repeats(cfg.repeats, "experiment '" + cfg.name + "': repeats");
  const int64_t n = cfg.repeats;
  // Under a launcher every rank runs every stage (each its shard); rank 0 names the directory
  // (its clock), writes it and the reports.
  dist::ProcessGroup* group = train::process_group(cfg.candidates.front().config);
  ExperimentResult r;
  r.wrote_files = train::writes_run_files(group);
  std::string dir =
      cfg.out.empty()
          ? (fs::path("runs") / (cfg.name + "-" + utc_timestamp("%Y%m%d-%H%M%S"))).string()
          : cfg.out;
  if (group != nullptr) dir = group->all_gather_strings(dir).front();
  r.dir = dir;
  DirectoryLock lock;  // one experiment per directory; each stage also locks its run
  if (r.wrote_files) {
    lock = DirectoryLock::acquire(r.dir, "eden run");
    std::vector<std::string> stages{"upstream", "baseline"};
    for (const auto& c : cfg.candidates) stages.push_back(c.name);
    for (const auto& stage : stages) check_layout(r.dir, stage, n, cfg.source);
  }
  for (const auto& c : cfg.candidates) r.candidates.push_back({c.name, {}, {}, {}});
  // Which candidates start from the upstream backbone (their own `pretrained` unset).
  std::vector<bool> from_upstream;
  for (const auto& c : cfg.candidates) {
    from_upstream.push_back(cfg.upstream && c.config.pretrained.empty());
  }
  DataPool pool;
  // Repeat k trains with seed + k; the image-folder hold-out stays the first seed's, so every
  // repeat is scored on the same images (and all share one load).
  auto hold_split = [](train::TrainConfig& c) {
    if (c.split_seed < 0) c.split_seed = c.seed;
  };
  try {
    // Seed by seed: an interrupted study has its first seeds complete.
    for (int64_t k = 0; k < n; ++k) {
      std::optional<fs::path> upstream;
      if (cfg.upstream) {
        train::TrainConfig u = *cfg.upstream;
        hold_split(u);
        u.seed += k;
        upstream = stage_dir(r.dir, "upstream", u.seed, n);
        run_stage(stage_label("upstream", u.seed, n), u, *upstream, options, group, pool);
        r.upstream_runs.push_back(*upstream);
      }
      train::TrainConfig b = cfg.baseline;
      hold_split(b);
      b.seed += k;
      r.baseline_runs.push_back(stage_dir(r.dir, "baseline", b.seed, n));
      run_stage(stage_label("baseline", b.seed, n), b, r.baseline_runs.back(), options, group,
                pool);
      for (std::size_t i = 0; i < cfg.candidates.size(); ++i) {
        train::TrainConfig c = cfg.candidates[i].config;
        hold_split(c);
        c.seed += k;
        if (from_upstream[i]) {
          c.pretrained = (*upstream / train::RunFiles::kWeights).string();
          c.pretrained_head = false;  // the upstream head knows other classes
        }
        const std::string& name = cfg.candidates[i].name;
        r.candidates[i].runs.push_back(stage_dir(r.dir, name, c.seed, n));
        run_stage(stage_label(name, c.seed, n), c, r.candidates[i].runs.back(), options, group,
                  pool);
      }
    }
  } catch (const Interrupted& e) {
    if (r.wrote_files) {  // the loads of an interrupted invocation were paid too
      nlohmann::json j = read_summary(r.dir);
      j["data_preparation"] = data_preparation(r.dir, pool);
      j["data_preparation_note"] = kDataPreparationNote;
      write_file_atomic(r.dir / kSummaryFile, j.dump(2) + "\n");
    }
    // The stage's own advice names its run; the experiment is continued as a whole.
    throw Interrupted(e.signal(), e.detail(),
                      fmt::format("continue the experiment with: eden run {}--out {}",
                                  cfg.source.empty() ? "" : cfg.source + " ", r.dir.string()),
                      e.report());
  }
  if (!r.wrote_files) return r;

  // The energy that produced a candidate's backbone is part of its cost, and the experiment's
  // one-off data loads are its data preparation: record both with each candidate run.
  const nlohmann::json prep = data_preparation(r.dir, pool);
  const nlohmann::json prep_total = data_preparation_total(prep);
  for (std::size_t i = 0; i < cfg.candidates.size(); ++i) {
    for (int64_t k = 0; k < n; ++k) {
      const auto path =
          r.candidates[i].runs[static_cast<std::size_t>(k)] / train::RunFiles::kMetrics;
      auto m = nlohmann::json::parse(read_file(path));
      if (from_upstream[i]) {
        const fs::path& up = r.upstream_runs[static_cast<std::size_t>(k)];
        const auto upstream = nlohmann::json::parse(read_file(up / train::RunFiles::kMetrics));
        m["upstream_run"] = relative_name(up, r.dir);
        m["upstream_energy_j"] = upstream.value("energy_j", 0.0);
        m["upstream_energy_source"] = upstream.value("energy_source", std::string("none"));
      }
      m["experiment_data_preparation"] = prep_total;
      write_file_atomic(path, m.dump(2) + "\n");
    }
  }

  fmt::print("[report] comparison{}, model card{}, overview\n",
             cfg.candidates.size() > 1 ? "s" : "", cfg.candidates.size() > 1 ? "s" : "");
  std::fflush(stdout);
  std::vector<report::RunRecord> bases;
  for (const auto& b : r.baseline_runs) bases.push_back(report::load_run(b));
  report::CardOptions card_options;
  card_options.project_dir = r.dir;
  card_options.license = cfg.card_license;
  card_options.base_model = cfg.card_base_model;
  card_options.hub_id = cfg.card_hub_id;
  nlohmann::json summary = {{"name", cfg.name},
                            {"repeats", n},
                            {"baseline_runs", nlohmann::json::array()},
                            {"candidates", nlohmann::json::array()}};
  for (const auto& b : r.baseline_runs) summary["baseline_runs"].push_back(relative_name(b, r.dir));
  std::vector<std::string> verdicts;
  for (std::size_t i = 0; i < r.candidates.size(); ++i) {
    auto& cand = r.candidates[i];
    std::vector<report::RunRecord> runs;
    for (const auto& d : cand.runs) runs.push_back(report::load_run(d));
    if (n == 1) {
      const auto delta =
          r.candidates.size() == 1
              ? report::compare_runs(runs.front(), bases.front())
              : report::compute_green_delta(
                    report::run_numbers(runs.front(),
                                        fmt::format("{} [{}]", runs.front().model, cand.name)),
                    report::run_numbers(bases.front()));
      cand.green_delta =
          report::write_green_delta(delta, runs.front(), bases.front(), cand.runs.front()).first;
      verdicts.push_back(report::describe(delta));
      card_options.study.reset();
    } else {
      // By model, and by the candidate's name too where a model name alone would not tell
      // the sides or the candidates apart.
      const bool same_model = runs.front().model == bases.front().model;
      const bool named = same_model || r.candidates.size() > 1;
      std::vector<report::SeedPair> pairs;
      for (std::size_t k = 0; k < runs.size(); ++k) {
        report::SeedPair p;
        p.seed = cfg.candidates[i].config.seed + static_cast<int64_t>(k);
        p.model = report::run_numbers(
            runs[k], named ? fmt::format("{} [{}]", runs[k].model, cand.name) : "");
        p.baseline = report::run_numbers(
            bases[k], same_model ? fmt::format("{} [baseline]", bases[k].model) : "");
        p.model_run = relative_name(cand.runs[k], r.dir);
        p.baseline_run = relative_name(r.baseline_runs[k], r.dir);
        pairs.push_back(std::move(p));
      }
      const auto study = report::compute_repeated_green_delta(std::move(pairs));
      cand.green_delta = report::write_repeated_green_delta(study, r.dir / cand.name).first;
      verdicts.push_back(report::describe(study));
      card_options.study = study;
    }
    const auto card = report::write_model_card(runs.front(), bases.front(), card_options);
    cand.card = card.readme;
    if (card.training_curve) r.figures.push_back(card.training_curve->png);
    if (card.overview) r.figures.push_back(card.overview->png);
    nlohmann::json c = {{"name", cand.name},
                        {"runs", nlohmann::json::array()},
                        {"green_delta", relative_name(cand.green_delta, r.dir)},
                        {"card", relative_name(cand.card, r.dir)}};
    for (const auto& d : cand.runs) c["runs"].push_back(relative_name(d, r.dir));
    summary["candidates"].push_back(std::move(c));
  }
  report::OverviewOptions overview_options;
  overview_options.baseline = r.baseline_runs.front();
  const auto overview =
      report::write_overview(report::build_overview(r.dir, overview_options), r.dir);
  r.overview = overview.markdown;
  if (overview.figure) r.figures.push_back(overview.figure->png);
  summary["overview"] = relative_name(r.overview, r.dir);
  summary["data_preparation"] = prep;
  summary["data_preparation_note"] = kDataPreparationNote;
  write_file_atomic(r.dir / kSummaryFile, summary.dump(2) + "\n");
  for (const auto& load : pool.report()) {
    fmt::print("[data] {} loaded once for {} stage(s): {:.2f} s, {:.1f} J ({})\n",
               load.at("data").get<std::string>(), load.at("stages").size(),
               load.at("load_s").get<double>(), load.at("energy_j").get<double>(),
               load.at("energy_source").get<std::string>());
  }
  for (std::size_t i = 0; i < verdicts.size(); ++i) {
    if (r.candidates.size() > 1) fmt::print("{}: ", r.candidates[i].name);
    fmt::print("{}\n", verdicts[i]);
  }
  return r;
}

}  // namespace eden::pipeline
