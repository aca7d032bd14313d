// The Green Delta of a study over seeds (see repeated_delta.h).
#include "eden/report/repeated_delta.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <set>

#include "eden/report/escape.h"
#include "eden/report/format.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::report {
namespace {

// The statistics' order in the bootstrap (one resample of the seeds computes them all).
enum Stat : std::size_t {
  kModelAcc,
  kBaseAcc,
  kAccDeltaPp,
  kModelJ,
  kBaseJ,
  kDeltaJ,
  kSavedFraction,
  kModelCo2,
  kBaseCo2,
  kDeltaCo2,
  kEag,
  kNumStats,
};

/// The side's source over every seed: its common value, or "mixed".
std::string common_source(const std::vector<SeedPair>& pairs, bool model) {
  std::set<std::string> sources;
  for (const auto& p : pairs)
    sources.insert(model ? p.model.energy_source : p.baseline.energy_source);
  return sources.size() == 1 ? *sources.begin() : "mixed";
}

std::string bracket(const std::string& low, const std::string& high) {
  return "[" + low + ", " + high + "]";
}

std::string accuracy_cell(const Interval& i) {
  return format_fixed(i.estimate, 4) + " " +
         bracket(format_fixed(i.low, 4), format_fixed(i.high, 4));
}

std::string energy_cell(const Interval& i) {
  return format_energy_j(i.estimate) + " " +
         bracket(format_energy_j(i.low), format_energy_j(i.high));
}

std::string quantity_cell(const Interval& i, bool sign = false) {
  auto q = [&](double v) { return (sign && v > 0 ? "+" : "") + format_quantity(v); };
  return q(i.estimate) + " " + bracket(q(i.low), q(i.high));
}

std::string percent(double fraction) {
  return format_fixed(fraction * 100.0, 2) + "%";
}

nlohmann::json interval_json(const Interval& i) {
  if (!i.finite) return {{"estimate", i.estimate}, {"low", nullptr}, {"high", nullptr}};
  return {{"estimate", i.estimate}, {"low", i.low}, {"high", i.high}};
}

}  // namespace

bool RepeatedGreenDelta::accuracy_indistinguishable() const {
  return seeds() > 1 && accuracy_delta_pp.contains_zero();
}

bool RepeatedGreenDelta::energy_indistinguishable() const {
  return seeds() > 1 && energy_delta_j.contains_zero();
}

RepeatedGreenDelta compute_repeated_green_delta(std::vector<SeedPair> pairs,
                                                const GreenDeltaOptions& options,
                                                const BootstrapOptions& bootstrap) {
  EDEN_CHECK(!pairs.empty(), "a study's Green Delta needs at least one seed's pair of runs");
  std::sort(pairs.begin(), pairs.end(),
            [](const SeedPair& a, const SeedPair& b) { return a.seed < b.seed; });
  for (std::size_t i = 1; i < pairs.size(); ++i) {
    EDEN_CHECK(pairs[i].seed != pairs[i - 1].seed, "seed ", pairs[i].seed,
               " has two pairs of runs; each seed pairs one candidate run with one baseline run");
  }
  RepeatedGreenDelta d;
  d.pairs = pairs;
  for (const auto& p : pairs)
    d.per_seed.push_back(compute_green_delta(p.model, p.baseline, options));

  std::vector<double> acc_m, acc_b, j_m, j_b, co2_m, co2_b;
  for (const auto& p : pairs) {
    acc_m.push_back(p.model.accuracy);
    acc_b.push_back(p.baseline.accuracy);
    j_m.push_back(p.model.energy_j);
    j_b.push_back(p.baseline.energy_j);
    co2_m.push_back(p.model.co2_kg);
    co2_b.push_back(p.baseline.co2_kg);
  }
  d.bootstrap = paired_bootstrap(
      d.seeds(), kNumStats,
      [&](const std::vector<int64_t>& idx, std::vector<double>& out) {
        out[kModelAcc] = mean_at(acc_m, idx);
        out[kBaseAcc] = mean_at(acc_b, idx);
        out[kAccDeltaPp] = (out[kModelAcc] - out[kBaseAcc]) * 100.0;
        out[kModelJ] = mean_at(j_m, idx);
        out[kBaseJ] = mean_at(j_b, idx);
        out[kDeltaJ] = out[kModelJ] - out[kBaseJ];
        out[kSavedFraction] = (out[kBaseJ] - out[kModelJ]) / out[kBaseJ];
        out[kModelCo2] = mean_at(co2_m, idx);
        out[kBaseCo2] = mean_at(co2_b, idx);
        out[kDeltaCo2] = out[kModelCo2] - out[kBaseCo2];
        out[kEag] = (out[kModelAcc] - out[kBaseAcc]) / out[kDeltaJ];
      },
      bootstrap);
  const auto& iv = d.bootstrap.intervals;
  d.model_accuracy = iv[kModelAcc];
  d.baseline_accuracy = iv[kBaseAcc];
  d.accuracy_delta_pp = iv[kAccDeltaPp];
  d.model_energy_j = iv[kModelJ];
  d.baseline_energy_j = iv[kBaseJ];
  d.energy_delta_j = iv[kDeltaJ];
  d.energy_saved_fraction = iv[kSavedFraction];
  d.model_co2_kg = iv[kModelCo2];
  d.baseline_co2_kg = iv[kBaseCo2];
  d.co2_delta_kg = iv[kDeltaCo2];
  d.eag = iv[kEag];

  if (d.seeds() == 1) {
    d.mean = d.per_seed.front();  // bit for bit today's single-run table
    return d;
  }
  RunNumbers model = pairs.front().model, base = pairs.front().baseline;
  model.accuracy = d.model_accuracy.estimate;
  model.energy_j = d.model_energy_j.estimate;
  model.co2_kg = d.model_co2_kg.estimate;
  model.energy_source = common_source(pairs, true);
  base.accuracy = d.baseline_accuracy.estimate;
  base.energy_j = d.baseline_energy_j.estimate;
  base.co2_kg = d.baseline_co2_kg.estimate;
  base.energy_source = common_source(pairs, false);
  d.mean = compute_green_delta(model, base, options);
  return d;
}

std::string describe(const RepeatedGreenDelta& d, bool markdown) {
  if (d.seeds() == 1) return describe(d.mean, markdown);
  const auto n = d.seeds();
  const std::string name =
      markdown ? markdown_text(d.mean.model.label) : single_line(d.mean.model.label);
  auto strong = [&](const std::string& s) { return markdown ? "**" + s + "**" : s; };
  std::string out;
  if (d.accuracy_indistinguishable() && d.energy_indistinguishable()) {
    out = strong(fmt::format("{} is not distinguishable from the baseline at {} seeds", name, n)) +
          ": the 95% intervals of both the accuracy and the energy difference cross zero. ";
  }
  out += fmt::format("On the means over {} seeds: {}", n, describe(d.mean, markdown));
  out +=
      fmt::format(" Over the seeds, Δaccuracy is {} pp {} and ΔJ is {} J {} (95% intervals, {}).",
                  format_signed(d.accuracy_delta_pp.estimate, 2),
                  bracket(format_signed(d.accuracy_delta_pp.low, 2),
                          format_signed(d.accuracy_delta_pp.high, 2)),
                  format_thousands(d.energy_delta_j.estimate, 1),
                  bracket(format_thousands(d.energy_delta_j.low, 1),
                          format_thousands(d.energy_delta_j.high, 1)),
                  "paired " + d.bootstrap.method());
  if (d.accuracy_indistinguishable() != d.energy_indistinguishable()) {
    out += fmt::format(
        " Its {} is not distinguishable from the baseline's at {} seeds (the interval crosses "
        "zero), so the trade-off above is not established.",
        d.accuracy_indistinguishable() ? "accuracy" : "energy", n);
  }
  return out;
}

std::string to_markdown(const RepeatedGreenDelta& d) {
  if (d.seeds() == 1) return to_markdown(d.mean);
  const GreenDelta& g = d.mean;
  const std::string m = markdown_text(g.model.label);
  const std::string b = markdown_text(g.baseline.label);
  std::string out =
      fmt::format("| Metric | {} Baseline | {} (EDEN) | Δ |\n|---|---|---|---|\n", b, m);
  out +=
      fmt::format("| Accuracy | {} | {} | {} pp {} |\n", accuracy_cell(d.baseline_accuracy),
                  accuracy_cell(d.model_accuracy), format_signed(d.accuracy_delta_pp.estimate, 2),
                  bracket(format_signed(d.accuracy_delta_pp.low, 2),
                          format_signed(d.accuracy_delta_pp.high, 2)));
  const Interval& s = d.energy_saved_fraction;
  // "saved" or "more" as the mean says, the interval in the same sense.
  const std::string saved =
      s.estimate >= 0
          ? percent(s.estimate) + " saved " + bracket(percent(s.low), percent(s.high))
          : percent(-s.estimate) + " more " + bracket(percent(-s.high), percent(-s.low));
  out += fmt::format("| Total Energy (J) | {} | {} | {} |\n", energy_cell(d.baseline_energy_j),
                     energy_cell(d.model_energy_j), saved);
  out += fmt::format("| CO₂ Emissions (kg) | {} | {} | {} kg |\n", quantity_cell(d.baseline_co2_kg),
                     quantity_cell(d.model_co2_kg), quantity_cell(d.co2_delta_kg, true));
  out += fmt::format("| Energy source | {} | {} | {} |\n", markdown_text(g.baseline.energy_source),
                     markdown_text(g.model.energy_source),
                     g.energy_estimated ? "⚠ not all measured" : "—");
  std::string eag = "n/a (energy difference negligible)";
  if (g.eag_meaningful) {
    eag = format_scientific(g.eag, 5) + " " +
          (d.eag.finite ? bracket(format_scientific(d.eag.low, 3), format_scientific(d.eag.high, 3))
                        : "[undefined: ΔJ is zero in some resample]");
  }
  out += fmt::format("| EAG Score | — | {} | ΔAcc/ΔJoule |\n", eag);
  out += fmt::format("| Seeds | {} | {} | paired by seed |\n", d.seeds(), d.seeds());
  out += fmt::format(
      "\nEach figure is the mean over {} seeds with its 95% interval in brackets ({}; EAG is "
      "the mean Δaccuracy over the mean ΔJ of each resample).\n",
      d.seeds(), "paired " + d.bootstrap.method());
  out += "\n" + describe(d, true) + "\n";
  out += fmt::format(
      "\n| Seed | {} run | {} accuracy | {} run | {} accuracy | Δ (pp) | {} J | {} J | EAG |\n"
      "|---|---|---|---|---|---|---|---|---|\n",
      b, b, m, m, b, m);
  for (std::size_t i = 0; i < d.pairs.size(); ++i) {
    const auto& p = d.pairs[i];
    const auto& one = d.per_seed[i];
    out += fmt::format("| {} | {} | {} | {} | {} | {} | {} | {} | {} |\n", p.seed,
                       markdown_text(p.baseline_run), format_fixed(p.baseline.accuracy, 4),
                       markdown_text(p.model_run), format_fixed(p.model.accuracy, 4),
                       format_signed(one.accuracy_delta_pp, 2),
                       format_energy_j(p.baseline.energy_j), format_energy_j(p.model.energy_j),
                       one.eag_meaningful ? format_scientific(one.eag, 5) : "n/a");
  }
  if (g.energy_estimated) {
    out +=
        "\n> ⚠ Not every run's energy is measured: estimated energy comes from a power model "
        "(TDP, CPU time, resident memory), not from a meter, and can be off by tens of percent, "
        "so the energy columns and EAG are estimates too.\n";
  }
  return out;
}

nlohmann::json to_json(const RepeatedGreenDelta& d) {
  nlohmann::json j = to_json(d.mean);
  j["verdict"] = describe(d, false);
  j["seeds"] = d.seeds();
  j["method"] = "paired " + d.bootstrap.method();
  j["confidence"] = 0.95;
  j["resamples"] = d.bootstrap.resamples;
  j["accuracy_delta_not_distinguishable"] = d.accuracy_indistinguishable();
  j["energy_delta_not_distinguishable"] = d.energy_indistinguishable();
  j["intervals"] = {
      {"model_accuracy", interval_json(d.model_accuracy)},
      {"baseline_accuracy", interval_json(d.baseline_accuracy)},
      {"accuracy_delta_pp", interval_json(d.accuracy_delta_pp)},
      {"model_energy_j", interval_json(d.model_energy_j)},
      {"baseline_energy_j", interval_json(d.baseline_energy_j)},
      {"energy_delta_j", interval_json(d.energy_delta_j)},
      {"energy_saved_fraction", interval_json(d.energy_saved_fraction)},
      {"model_co2_kg", interval_json(d.model_co2_kg)},
      {"baseline_co2_kg", interval_json(d.baseline_co2_kg)},
      {"co2_delta_kg", interval_json(d.co2_delta_kg)},
      {"eag", interval_json(d.eag)},
  };
  nlohmann::json per_seed = nlohmann::json::array();
  for (std::size_t i = 0; i < d.pairs.size(); ++i) {
    nlohmann::json one = to_json(d.per_seed[i]);
    one["seed"] = d.pairs[i].seed;
    one["model"]["run"] = d.pairs[i].model_run;
    one["baseline"]["run"] = d.pairs[i].baseline_run;
    per_seed.push_back(std::move(one));
  }
  j["per_seed"] = std::move(per_seed);
  return j;
}

std::pair<fs::path, fs::path> write_repeated_green_delta(const RepeatedGreenDelta& d,
                                                         const fs::path& out_dir) {
  ensure_directory(out_dir);
  std::string runs;
  for (const auto& p : d.pairs) {
    runs += fmt::format("{}seed {}: {} against {}", runs.empty() ? "" : " · ", p.seed,
                        markdown_text(p.model_run), markdown_text(p.baseline_run));
  }
  const std::string doc =
      fmt::format("# 🟢 Green Delta: {} against {}, {} seed(s)\n\nRuns: {}\n\n{}",
                  markdown_text(d.mean.model.label), markdown_text(d.mean.baseline.label),
                  d.seeds(), runs, to_markdown(d));
  const fs::path md = out_dir / "green_delta.md";
  const fs::path json = out_dir / "green_delta.json";
  write_file_atomic(md, doc);
  write_file_atomic(json, to_json(d).dump(2) + "\n");
  return {md, json};
}

}  // namespace eden::report
