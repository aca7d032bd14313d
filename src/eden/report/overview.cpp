// Project overview: leaderboard and figure over every run of a folder (see overview.h).
#include "eden/report/overview.h"

#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <limits>
#include <map>
#include <set>

#include "eden/report/csv_log.h"
#include "eden/report/escape.h"
#include "eden/report/format.h"
#include "eden/report/pareto.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::report {
namespace {

constexpr double kJoulesPerKj = 1000.0;

/// Canonical form for comparing paths; falls back to the absolute path.
fs::path canonical_or_absolute(const fs::path& p) {
  std::error_code ec;
  fs::path c = fs::weakly_canonical(p, ec);
  return ec ? fs::absolute(p).lexically_normal() : c;
}

std::string label_for(const fs::path& run_dir, const fs::path& root) {
  const fs::path rel =
      canonical_or_absolute(run_dir).lexically_relative(canonical_or_absolute(root));
  if (rel.empty() || rel == ".") return canonical_or_absolute(run_dir).filename().string();
  if (*rel.begin() == "..") return canonical_or_absolute(run_dir).filename().string();
  return rel.generic_string();
}

/// "trades accuracy for energy" from "trades_accuracy_for_energy".
std::string tradeoff_words(Tradeoff t) {
  std::string s = to_string(t);
  std::replace(s.begin(), s.end(), '_', ' ');
  return s;
}

std::string csv_number(double v) {
  return std::isfinite(v) ? fmt::format("{}", v) : "";
}

/// "<folder>" of a study's seed run "<folder>/seed-<k>" (k an integer); "" for other labels.
std::string seed_group_of(const std::string& label) {
  const auto slash = label.rfind('/');
  if (slash == std::string::npos || slash == 0) return "";
  const std::string last = label.substr(slash + 1);
  constexpr std::size_t kPrefix = 5;  // "seed-"
  if (last.rfind("seed-", 0) != 0) return "";
  std::size_t pos = kPrefix + (last.size() > kPrefix && last[kPrefix] == '-' ? 1 : 0);
  if (pos == last.size()) return "";
  for (; pos < last.size(); ++pos) {
    if (std::isdigit(static_cast<unsigned char>(last[pos])) == 0) return "";
  }
  return label.substr(0, slash);
}

/// Replaces the seeds of each study folder (two or more `<folder>/seed-<k>` runs of one task)
/// by one row of their means, with bootstrap intervals of the mean accuracy and energy.
void group_seed_rows(std::vector<OverviewRow>& rows) {
  std::map<std::pair<std::string, std::string>, std::vector<std::size_t>> groups;
  for (std::size_t i = 0; i < rows.size(); ++i) {
    const std::string folder = seed_group_of(rows[i].label);
    if (!folder.empty()) groups[{folder, rows[i].task}].push_back(i);
  }
  std::vector<bool> merged(rows.size(), false);
  std::vector<OverviewRow> out;
  for (const auto& group : groups) {
    // Not a structured binding: C++17 lambdas cannot capture one (clang refuses).
    const auto& key = group.first;
    const auto& members = group.second;
    if (members.size() < 2) continue;
    OverviewRow g;
    g.run = rows[members.front()].run;
    g.label = key.first;
    g.task = key.second;
    g.run.name = fs::path(key.first).filename().string();
    std::vector<double> acc, f1, energy, kwh, co2, seconds;
    std::set<std::string> sources;
    for (const std::size_t m : members) {
      const RunRecord& r = rows[m].run;
      g.is_baseline = g.is_baseline || rows[m].is_baseline;
      g.seed_runs.push_back(rows[m].label);
      acc.push_back(r.accuracy);
      f1.push_back(r.macro_f1);
      energy.push_back(r.energy_j);
      kwh.push_back(r.energy_kwh);
      co2.push_back(r.co2_kg);
      seconds.push_back(r.duration_s);
      sources.insert(r.energy_source);
      merged[m] = true;
    }
    const std::vector<int64_t> all = [&] {
      std::vector<int64_t> v(members.size());
      for (std::size_t k = 0; k < v.size(); ++k) v[k] = static_cast<int64_t>(k);
      return v;
    }();
    g.run.accuracy = mean_at(acc, all);
    g.run.macro_f1 = mean_at(f1, all);
    g.run.energy_j = mean_at(energy, all);
    g.run.energy_kwh = mean_at(kwh, all);
    g.run.co2_kg = mean_at(co2, all);
    g.run.duration_s = mean_at(seconds, all);
    g.run.energy_source = sources.size() == 1 ? *sources.begin() : "mixed";
    const BootstrapResult boot =
        paired_bootstrap(static_cast<int64_t>(members.size()), 2,
                         [&](const std::vector<int64_t>& idx, std::vector<double>& v) {
                           v[0] = mean_at(acc, idx);
                           v[1] = mean_at(energy, idx);
                         });
    g.accuracy_interval = boot.intervals[0];
    g.energy_interval_j = boot.intervals[1];
    g.interval_method = boot.method();
    out.push_back(std::move(g));
  }
  for (std::size_t i = 0; i < rows.size(); ++i) {
    if (!merged[i]) out.push_back(std::move(rows[i]));
  }
  rows = std::move(out);
}

/// "0.8123 [0.8050, 0.8190]" for a row of seeds, the plain number otherwise.
std::string with_interval(const OverviewRow& r, double value, const Interval& i,
                          std::string (*format)(double)) {
  if (r.seed_runs.empty()) return format(value);
  return format(value) + " [" + format(i.low) + ", " + format(i.high) + "]";
}

std::string accuracy_text(double v) {
  return format_fixed(v, 4);
}

}  // namespace

std::vector<fs::path> find_runs(const fs::path& root, int max_depth) {
  std::error_code ec;
  EDEN_CHECK(fs::is_directory(root, ec), "'", root.string(),
             "' is not a directory; hint: pass the folder that holds your run directories");
  if (is_run_directory(root)) return {root};  // a run directory is a project of one
  std::vector<fs::path> runs;
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  EDEN_CHECK(!ec, "cannot list '", root.string(), "': ", ec.message());
  for (; it != fs::recursive_directory_iterator(); it.increment(ec)) {
    EDEN_CHECK(!ec, "cannot list '", root.string(), "': ", ec.message());
    if (!it->is_directory(ec)) continue;
    const std::string name = it->path().filename().string();
    if (!name.empty() && name[0] == '.') {
      it.disable_recursion_pending();
      continue;
    }
    if (is_run_directory(it->path())) {
      runs.push_back(it->path());
      it.disable_recursion_pending();
    } else if (it.depth() + 1 >= max_depth) {
      it.disable_recursion_pending();
    }
  }
  std::sort(runs.begin(), runs.end());
  return runs;
}

std::string task_of(const RunRecord& run) {
  std::string task = run.data.empty() ? "unknown data" : run.data;
  std::string classes = run.config_text("classes");
  if (!classes.empty() && classes != "none" && classes != "all") task += " · classes " + classes;
  if (run.run_info.is_object() && run.run_info.contains("image_shape") &&
      run.run_info.at("image_shape").is_array() && run.run_info.at("image_shape").size() == 3) {
    task += " · " + run.run_info.at("image_shape")[1].dump() + " px";
  }
  const auto limit = static_cast<int64_t>(run.config_number("eval_limit", 0.0));
  if (limit > 0) task += fmt::format(" · first {} test images", limit);
  return task;
}

Overview build_overview(const fs::path& root, const OverviewOptions& options) {
  Overview ov;
  ov.root = root;
  std::vector<fs::path> dirs = find_runs(root, options.max_depth);
  std::optional<fs::path> baseline_key;
  if (options.baseline) {
    baseline_key = canonical_or_absolute(*options.baseline);
    const bool inside = std::any_of(dirs.begin(), dirs.end(), [&](const fs::path& d) {
      return canonical_or_absolute(d) == *baseline_key;
    });
    if (!inside) dirs.push_back(*options.baseline);
  }
  for (const auto& dir : dirs) {
    const bool is_baseline = baseline_key && canonical_or_absolute(dir) == *baseline_key;
    try {
      OverviewRow row;
      row.run = load_run(dir);
      row.label = label_for(dir, root);
      row.is_baseline = is_baseline;
      ov.rows.push_back(std::move(row));
    } catch (const Error& e) {
      if (is_baseline) throw;  // the user named it: say why it cannot be used
      ov.skipped.emplace_back(dir, e.what());
    }
  }
  EDEN_CHECK(!ov.rows.empty(), "no run directory under '", root.string(), "' could be read (",
             dirs.size(), " folder(s) with metrics.json",
             ov.skipped.empty() ? std::string() : ", first error: " + ov.skipped.front().second,
             "); hint: a run directory is the --out folder of 'eden train'");

  auto by_score = [](const OverviewRow& a, const OverviewRow& b) {
    if (a.run.accuracy != b.run.accuracy) return a.run.accuracy > b.run.accuracy;
    if (a.run.energy_j != b.run.energy_j) return a.run.energy_j < b.run.energy_j;
    return a.label < b.label;
  };
  for (auto& r : ov.rows) r.task = task_of(r.run);
  if (options.group_seeds) group_seed_rows(ov.rows);
  std::sort(ov.rows.begin(), ov.rows.end(), by_score);
  if (options.baseline) {
    ov.baseline_rule = "chosen with --baseline";
  } else {
    ov.rows[0].is_baseline = true;  // sorted: the most accurate, least energy among ties
    ov.baseline_rule = "the most accurate run (no --baseline given)";
  }
  // The baseline's task first, the other tasks after it in order of their best run.
  std::string base_task;
  for (const auto& r : ov.rows) base_task = r.is_baseline ? r.task : base_task;
  std::vector<std::string> tasks{base_task};
  for (const auto& r : ov.rows) {
    if (std::find(tasks.begin(), tasks.end(), r.task) == tasks.end()) tasks.push_back(r.task);
  }
  std::stable_sort(ov.rows.begin(), ov.rows.end(), [&](const OverviewRow& a, const OverviewRow& b) {
    return std::find(tasks.begin(), tasks.end(), a.task) <
           std::find(tasks.begin(), tasks.end(), b.task);
  });
  for (std::size_t i = 0; i < ov.rows.size(); ++i) {
    if (ov.rows[i].is_baseline) ov.baseline_index = i;
  }

  const RunRecord& base = ov.rows[ov.baseline_index].run;
  for (const auto& task : tasks) {  // one Pareto front per task
    std::vector<std::size_t> members;
    std::vector<EnergyAccuracy> points;
    for (std::size_t i = 0; i < ov.rows.size(); ++i) {
      if (ov.rows[i].task != task) continue;
      members.push_back(i);
      points.push_back({ov.rows[i].run.energy_j, ov.rows[i].run.accuracy});
    }
    const std::vector<bool> front = pareto_front(points);
    for (std::size_t k = 0; k < members.size(); ++k) ov.rows[members[k]].pareto = front[k];
  }
  for (std::size_t i = 0; i < ov.rows.size(); ++i) {
    auto& r = ov.rows[i];
    r.accuracy_per_kj = r.run.energy_j > 0 ? r.run.accuracy / (r.run.energy_j / kJoulesPerKj)
                                           : std::numeric_limits<double>::quiet_NaN();
    if (i != ov.baseline_index && r.task == base_task) {
      r.delta = compare_runs(r.run, base, options.delta);
    }
  }
  return ov;
}

std::string overview_markdown(const Overview& ov, const std::string& figure) {
  const auto& base = ov.rows[ov.baseline_index];
  std::string out = "# EDEN Project Overview\n\n";
  out += fmt::format("{} run(s) under {}. Baseline for EAG: {} ({}), {}.\n\n", ov.rows.size(),
                     markdown_text(canonical_or_absolute(ov.root).filename().string()),
                     markdown_text(base.label), markdown_text(base.run.model), ov.baseline_rule);
  const std::string header =
      "| # | Run | Model | Accuracy | Macro-F1 | Energy (J) | Energy source | CO₂ (kg) | "
      "EAG (ΔAcc/ΔJ) | Against the baseline | Accuracy per kJ | Pareto front |\n"
      "|---|---|---|---|---|---|---|---|---|---|---|---|\n";
  out += fmt::format("Task: {}.\n\n", markdown_text(base.task)) + header;
  for (std::size_t i = 0; i < ov.rows.size(); ++i) {
    const auto& r = ov.rows[i];
    if (i > 0 && r.task != ov.rows[i - 1].task) {
      if (ov.rows[i - 1].task == base.task) {
        out +=
            "\n## Runs of other tasks\n\nTheir accuracy is a score on other data, classes or "
            "images: they are not compared with the baseline, and each task has its own Pareto "
            "front.\n";
      }
      out += fmt::format("\nTask: {}.\n\n", markdown_text(r.task)) + header;
    }
    std::string eag = "—", versus = r.task == base.task ? "baseline" : "another task";
    if (r.delta) {
      eag = r.delta->eag_meaningful ? format_scientific(r.delta->eag, 5) : "n/a";
      versus = tradeoff_words(r.delta->tradeoff);
    }
    const std::string run =
        markdown_text(r.label) +
        (r.seed_runs.empty() ? "" : fmt::format(" (mean of {} seeds)", r.seed_runs.size()));
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", i + 1,
                       run, markdown_text(r.run.model),
                       with_interval(r, r.run.accuracy, r.accuracy_interval, accuracy_text),
                       format_fixed(r.run.macro_f1, 4),
                       with_interval(r, r.run.energy_j, r.energy_interval_j, format_energy_j),
                       markdown_text(r.run.energy_source), format_quantity(r.run.co2_kg), eag,
                       versus, format_quantity(r.accuracy_per_kj), r.pareto ? "✓" : "");
  }
  out +=
      "\nEAG = (accuracy − baseline accuracy) / (energy − baseline energy), in accuracy "
      "(fraction) per joule; \"n/a\" when the energies differ by less than 1% of the baseline's. "
      "Accuracy per kJ = accuracy / (energy in J / 1000). A run is on the Pareto front when no "
      "other run is both cheaper and more accurate.\n";
  std::string method;
  for (const auto& r : ov.rows) method = method.empty() ? r.interval_method : method;
  if (!method.empty()) {
    out +=
        "\nA row \"mean of N seeds\" is a study's repeats (its `seed-<k>` runs): accuracy, "
        "energy, CO₂ and EAG are on the means over the seeds, and the brackets hold the 95% "
        "percentile bootstrap interval of the mean accuracy and energy (" +
        method + " for the first such row); the candidate's green_delta.md has the paired " +
        "intervals of the differences.\n";
  }
  bool estimated = false;
  for (const auto& r : ov.rows) estimated = estimated || r.run.energy_source != "measured";
  if (estimated) {
    out +=
        "\n> ⚠ Some energies are estimated (energy source not \"measured\"): they come from a "
        "power model, not a meter, and can be off by tens of percent.\n";
  }
  if (!figure.empty()) {
    out += fmt::format("\n![Project-Wide Overview]({})\n", url_path(figure));
  }
  if (!ov.skipped.empty()) {
    out += "\n## Skipped folders\n\n";
    for (const auto& [dir, why] : ov.skipped) {
      out += fmt::format("- {}: {}\n", markdown_text(label_for(dir, ov.root)), markdown_text(why));
    }
  }
  return out;
}

std::string overview_csv(const Overview& ov) {
  std::string out =
      "rank,run,model,data,task,accuracy,macro_f1,energy_j,energy_source,co2_kg,eag,tradeoff,"
      "accuracy_per_kj,pareto_front,baseline,seeds,accuracy_low,accuracy_high,energy_low_j,"
      "energy_high_j\n";
  for (std::size_t i = 0; i < ov.rows.size(); ++i) {
    const auto& r = ov.rows[i];
    const std::vector<std::string> fields = {
        std::to_string(i + 1),
        r.label,
        r.run.model,
        r.run.data,
        r.task,
        csv_number(r.run.accuracy),
        csv_number(r.run.macro_f1),
        csv_number(r.run.energy_j),
        r.run.energy_source,
        csv_number(r.run.co2_kg),
        r.delta && r.delta->eag_meaningful ? csv_number(r.delta->eag) : "",
        r.delta                                     ? to_string(r.delta->tradeoff)
        : r.task == ov.rows[ov.baseline_index].task ? "baseline"
                                                    : "another-task",
        csv_number(r.accuracy_per_kj),
        r.pareto ? "true" : "false",
        r.is_baseline ? "true" : "false",
        std::to_string(std::max<std::size_t>(1, r.seed_runs.size())),
        r.seed_runs.empty() ? "" : csv_number(r.accuracy_interval.low),
        r.seed_runs.empty() ? "" : csv_number(r.accuracy_interval.high),
        r.seed_runs.empty() ? "" : csv_number(r.energy_interval_j.low),
        r.seed_runs.empty() ? "" : csv_number(r.energy_interval_j.high),
    };
    for (std::size_t k = 0; k < fields.size(); ++k) {
      out += (k ? "," : "") + csv_escape(single_line(fields[k]));
    }
    out += "\n";
  }
  return out;
}

std::vector<OverviewPoint> overview_points(const Overview& ov) {
  std::vector<OverviewPoint> points;
  const std::string& task = ov.rows[ov.baseline_index].task;
  for (const auto& r : ov.rows) {
    if (r.task != task) continue;  // another task's accuracy is not on this axis
    OverviewPoint p{r.label + " · " + r.run.model, r.run.energy_j, r.run.accuracy, r.is_baseline,
                    r.pareto};
    if (!r.seed_runs.empty()) {
      p.label += fmt::format(" ({} seeds)", r.seed_runs.size());
      p.energy_low_j = r.energy_interval_j.low;
      p.energy_high_j = r.energy_interval_j.high;
      p.accuracy_low = r.accuracy_interval.low;
      p.accuracy_high = r.accuracy_interval.high;
    }
    points.push_back(std::move(p));
  }
  return points;
}

OverviewFiles write_overview(const Overview& ov, const fs::path& out_dir) {
  ensure_directory(out_dir);
  OverviewFiles files;
  files.markdown = out_dir / "overview.md";
  files.csv = out_dir / "overview.csv";
  std::string figure_name;
  if (figures_available(&files.figure_note)) {
    try {
      files.figure = plot_overview(
          overview_points(ov),
          fmt::format("{} run(s) in {}: training energy vs accuracy", overview_points(ov).size(),
                      canonical_or_absolute(ov.root).filename().string()),
          out_dir / "overview");
      figure_name = "overview.png";
    } catch (const Error& e) {
      files.figure_note = e.what();  // e.g. no run has energy: the leaderboard still stands
    }
  }
  write_file_atomic(files.markdown, overview_markdown(ov, figure_name));
  write_file_atomic(files.csv, overview_csv(ov));
  return files;
}

}  // namespace eden::report
