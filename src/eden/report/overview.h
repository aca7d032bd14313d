// The project overview: every run under a folder as a leaderboard (overview.md, overview.csv)
// with EAG against one baseline, accuracy per kJ and the Pareto front, plus the overview figure.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "eden/report/bootstrap.h"
#include "eden/report/figures.h"
#include "eden/report/green_delta.h"
#include "eden/report/run_record.h"

namespace eden::report {

struct OverviewOptions {
  /// The run EAG is computed against; when unset, the most accurate run (ties: less energy).
  std::optional<fs::path> baseline;
  GreenDeltaOptions delta;
  int max_depth = 4;  // folder levels below the root searched for runs
  /// Runs in `<folder>/seed-<k>` of one task (a study's repeats, `eden run` with repeats)
  /// become one row: the means over the seeds with 95% bootstrap intervals.
  bool group_seeds = true;
};

/// What a run's accuracy is a score on: data set, class subset, image size and test-set
/// limit ("fashion-mnist · classes 5,6,7,8,9 · 28 px"). Runs of different tasks are never
/// compared: accuracies on other classes or images are not on one scale.
std::string task_of(const RunRecord& run);

struct OverviewRow {
  RunRecord run;
  std::string label;  // the run directory relative to the overview's root
  std::string task;   // task_of(run)
  bool is_baseline = false;
  bool pareto = false;              // on the Pareto front of its task's runs
  std::optional<GreenDelta> delta;  // against the baseline; none for the baseline itself
  double accuracy_per_kj = 0.0;     // accuracy / (energy_j / 1000); NaN without energy
  /// A row of seeds (group_seeds): `run` holds the means over them (accuracy, macro-F1,
  /// energy, CO2), `seed_runs` their labels; empty for a single run.
  std::vector<std::string> seed_runs;
  Interval accuracy_interval;  // percentile bootstrap of the mean over seed_runs
  Interval energy_interval_j;
  std::string interval_method;  // "" for a single run
};

struct Overview {
  fs::path root;
  /// The baseline's task first, then the other tasks; within a task by accuracy (best first),
  /// then energy (least first). EAG is computed for the baseline's task only.
  std::vector<OverviewRow> rows;
  std::size_t baseline_index = 0;
  std::string baseline_rule;                              // how the baseline was chosen, in words
  std::vector<std::pair<fs::path, std::string>> skipped;  // run folders that failed to load
};

/// Run directories (folders with metrics.json) under `root` down to `max_depth` levels (1 =
/// direct subfolders), sorted by path; just `root` when it is a run directory itself. Hidden
/// folders are not searched, nor folders inside a run directory.
std::vector<fs::path> find_runs(const fs::path& root, int max_depth = 4);

/// Loads every run under `root` (and options.baseline when it lies elsewhere). A run that fails
/// to load is listed in `skipped`; throws eden::Error when no run loads or the baseline does not.
Overview build_overview(const fs::path& root, const OverviewOptions& options = {});

/// The leaderboard as Markdown; `figure` is the overview figure's file name, "" for none.
std::string overview_markdown(const Overview& overview, const std::string& figure = "");
/// The leaderboard as CSV (full-precision numbers, one row per run, best first).
std::string overview_csv(const Overview& overview);
/// The figure's points, labelled "<label> · <model>": the baseline's task only.
std::vector<OverviewPoint> overview_points(const Overview& overview);

struct OverviewFiles {
  fs::path markdown;
  fs::path csv;
  std::optional<FigureFiles> figure;  // none when figures are unavailable
  std::string figure_note;            // why there is no figure
};

/// Writes overview.md, overview.csv and overview.png/.svg into `out_dir`.
OverviewFiles write_overview(const Overview& overview, const fs::path& out_dir);

}  // namespace eden::report
