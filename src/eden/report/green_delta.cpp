// EAG and the Green Delta Table (see green_delta.h).
#include "eden/report/green_delta.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>

#include "eden/report/escape.h"
#include "eden/report/format.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::report {
namespace {

constexpr double kJoulesPerKwh = 3.6e6;
constexpr double kGramsPerKg = 1000.0;

void check_numbers(const RunNumbers& n, const char* role) {
  EDEN_CHECK(std::isfinite(n.accuracy) && n.accuracy >= 0.0 && n.accuracy <= 1.0, role, " '",
             n.label, "': accuracy ", n.accuracy, " is not a fraction in [0, 1]");
  EDEN_CHECK(std::isfinite(n.energy_j) && n.energy_j >= 0.0, role, " '", n.label, "': energy ",
             n.energy_j, " J is not a non-negative number");
}

/// "12.34% less energy" style magnitude of the energy difference, relative to the baseline.
std::string energy_change_percent(const GreenDelta& d) {
  return format_fixed(std::fabs(d.energy_saved_fraction) * 100.0, 2) + "%";
}

std::string accuracy_change_pp(const GreenDelta& d) {
  return format_fixed(std::fabs(d.accuracy_delta_pp), 2) + " pp";
}

}  // namespace

std::string to_string(Tradeoff tradeoff) {
  switch (tradeoff) {
    case Tradeoff::kDominates:
      return "dominates";
    case Tradeoff::kTradesAccuracyForEnergy:
      return "trades_accuracy_for_energy";
    case Tradeoff::kCostsEnergyForAccuracy:
      return "costs_energy_for_accuracy";
    case Tradeoff::kDominated:
      return "dominated";
    case Tradeoff::kNegligibleEnergyDifference:
      return "negligible_energy_difference";
  }
  return "unknown";
}

double co2_kg_for(double energy_j, double intensity_g_per_kwh, double pue) {
  return energy_j / kJoulesPerKwh * pue * intensity_g_per_kwh / kGramsPerKg;
}

GreenDelta compute_green_delta(const RunNumbers& model, const RunNumbers& baseline,
                               const GreenDeltaOptions& options) {
  check_numbers(model, "model");
  check_numbers(baseline, "baseline");
  GreenDelta d;
  d.model = model;
  d.baseline = baseline;
  d.accuracy_delta = model.accuracy - baseline.accuracy;
  d.accuracy_delta_pp = d.accuracy_delta * 100.0;
  d.energy_delta_j = model.energy_j - baseline.energy_j;
  d.energy_saved_fraction =
      baseline.energy_j > 0 ? (baseline.energy_j - model.energy_j) / baseline.energy_j : 0.0;
  d.co2_delta_kg = model.co2_kg - baseline.co2_kg;
  d.energy_estimated = model.energy_source != "measured" || baseline.energy_source != "measured";
  d.negligible_energy_j =
      std::max(options.min_energy_fraction * baseline.energy_j, options.min_energy_j);

  if (std::fabs(d.energy_delta_j) < d.negligible_energy_j) {
    d.tradeoff = Tradeoff::kNegligibleEnergyDifference;
    d.eag = std::numeric_limits<double>::quiet_NaN();
    d.eag_meaningful = false;
    return d;
  }
  d.eag = d.accuracy_delta / d.energy_delta_j;
  d.eag_meaningful = true;
  const bool less_energy = d.energy_delta_j < 0;
  if (less_energy) {
    d.tradeoff = d.accuracy_delta >= 0 ? Tradeoff::kDominates : Tradeoff::kTradesAccuracyForEnergy;
  } else {
    d.tradeoff = d.accuracy_delta > 0 ? Tradeoff::kCostsEnergyForAccuracy : Tradeoff::kDominated;
  }
  return d;
}

RunNumbers run_numbers(const RunRecord& run, std::string label) {
  RunNumbers n;
  n.label = label.empty() ? run.model : std::move(label);
  n.accuracy = run.accuracy;
  n.energy_j = run.energy_j;
  n.co2_kg = run.co2_kg;
  n.energy_source = run.energy_source;
  return n;
}

GreenDelta compare_runs(const RunRecord& model, const RunRecord& baseline,
                        const GreenDeltaOptions& options) {
  const bool same_model = model.model == baseline.model;
  auto label = [&](const RunRecord& r) {
    return same_model ? fmt::format("{} [{}]", r.model, r.name) : r.model;
  };
  return compute_green_delta(run_numbers(model, label(model)),
                             run_numbers(baseline, label(baseline)), options);
}

std::string describe(const GreenDelta& d, bool markdown) {
  const std::function<std::string(const std::string&)> name =
      markdown ? [](const std::string& s) { return markdown_text(s); }
               : [](const std::string& s) { return single_line(s); };
  const std::string m = name(d.model.label);
  const std::string b = name(d.baseline.label);
  const std::string eag = format_scientific(d.eag, 5);
  auto headline = [&](const std::string& text) { return markdown ? "**" + text + "**" : text; };
  switch (d.tradeoff) {
    case Tradeoff::kDominates:
      return fmt::format(
          "{}: it is {} {} and uses {} less energy. EAG ({}) is not positive only because "
          "accuracy did not fall while energy did; nothing was traded.",
          headline(m + " dominates the baseline"),
          d.accuracy_delta > 0 ? accuracy_change_pp(d) + " more accurate than" : "as accurate as",
          b, energy_change_percent(d), eag);
    case Tradeoff::kTradesAccuracyForEnergy:
      return fmt::format(
          "{}: it is {} less accurate than {} and uses {} less energy. EAG ({}) is the accuracy "
          "given up per joule saved; it is positive because both differences are negative, "
          "not because anything was gained.",
          headline(m + " trades accuracy for energy"), accuracy_change_pp(d), b,
          energy_change_percent(d), eag);
    case Tradeoff::kCostsEnergyForAccuracy:
      return fmt::format(
          "{}: it is {} more accurate than {} but uses {} more energy. EAG ({}) is the accuracy "
          "gained per extra joule.",
          headline(m + " costs energy for accuracy"), accuracy_change_pp(d), b,
          energy_change_percent(d), eag);
    case Tradeoff::kDominated:
      return fmt::format(
          "{}: it is {} {} and uses {} more energy. EAG ({}) is not positive because the extra "
          "energy bought no accuracy.",
          headline(m + " is dominated by the baseline"),
          d.accuracy_delta < 0 ? accuracy_change_pp(d) + " less accurate than"
                               : "no more accurate than",
          b, energy_change_percent(d), eag);
    case Tradeoff::kNegligibleEnergyDifference: {
      std::string accuracy = "as accurate as";
      if (d.accuracy_delta != 0) {
        accuracy = accuracy_change_pp(d) +
                   (d.accuracy_delta > 0 ? " more accurate than" : " less accurate than");
      }
      return fmt::format(
          "{}: the energy difference ({} J, {} of the baseline's) is under the threshold of {} J, "
          "so EAG would divide by measurement noise and is not reported. Compare accuracy alone: "
          "{} is {} {}.",
          headline(m + " uses about the same energy as the baseline"),
          format_thousands(d.energy_delta_j, 1), energy_change_percent(d),
          format_thousands(d.negligible_energy_j, 1), m, accuracy, b);
    }
  }
  return "";
}

std::string to_markdown(const GreenDelta& d) {
  const std::string m = markdown_text(d.model.label);
  const std::string b = markdown_text(d.baseline.label);
  std::string out =
      fmt::format("| Metric | {} Baseline | {} (EDEN) | Δ |\n|---|---|---|---|\n", b, m);
  out += fmt::format("| Accuracy | {} | {} | {} pp |\n", format_fixed(d.baseline.accuracy, 4),
                     format_fixed(d.model.accuracy, 4), format_signed(d.accuracy_delta_pp, 2));
  const std::string energy_delta =
      d.energy_saved_fraction >= 0 ? format_fixed(d.energy_saved_fraction * 100.0, 2) + "% saved"
                                   : format_fixed(-d.energy_saved_fraction * 100.0, 2) + "% more";
  out += fmt::format("| Total Energy (J) | {} | {} | {} |\n", format_energy_j(d.baseline.energy_j),
                     format_energy_j(d.model.energy_j), energy_delta);
  out += fmt::format("| CO₂ Emissions (kg) | {} | {} | {} kg |\n",
                     format_quantity(d.baseline.co2_kg), format_quantity(d.model.co2_kg),
                     (d.co2_delta_kg > 0 ? "+" : "") + format_quantity(d.co2_delta_kg));
  out += fmt::format("| Energy source | {} | {} | {} |\n", markdown_text(d.baseline.energy_source),
                     markdown_text(d.model.energy_source),
                     d.energy_estimated ? "⚠ not all measured" : "—");
  out += fmt::format(
      "| EAG Score | — | {} | ΔAcc/ΔJoule |\n",
      d.eag_meaningful ? format_scientific(d.eag, 5) : "n/a (energy difference negligible)");
  out += "\n" + describe(d, true) + "\n";
  if (d.energy_estimated) {
    std::string which;
    for (const RunNumbers* n : {&d.baseline, &d.model}) {
      if (n->energy_source == "measured") continue;
      which += fmt::format("{}{} ({})", which.empty() ? "" : " and ", markdown_text(n->label),
                           markdown_text(n->energy_source));
    }
    out += fmt::format(
        "\n> ⚠ The energy of {} is not (entirely) measured: estimated energy comes from a power "
        "model (TDP, CPU time, resident memory), not from a meter, and can be off by tens of "
        "percent, so the energy columns and EAG are estimates too.\n",
        which);
  }
  return out;
}

nlohmann::json to_json(const GreenDelta& d) {
  auto numbers = [](const RunNumbers& n) {
    return nlohmann::json{{"label", n.label},
                          {"accuracy", n.accuracy},
                          {"energy_j", n.energy_j},
                          {"co2_kg", n.co2_kg},
                          {"energy_source", n.energy_source}};
  };
  return {
      {"baseline", numbers(d.baseline)},
      {"model", numbers(d.model)},
      {"accuracy_delta", d.accuracy_delta},
      {"accuracy_delta_pp", d.accuracy_delta_pp},
      {"energy_delta_j", d.energy_delta_j},
      {"energy_saved_fraction", d.energy_saved_fraction},
      {"co2_delta_kg", d.co2_delta_kg},
      {"eag", d.eag_meaningful ? nlohmann::json(d.eag) : nlohmann::json(nullptr)},
      {"eag_unit", "accuracy (fraction) per joule"},
      {"eag_formula",
       "(accuracy_model - accuracy_baseline) / (energy_model_j - energy_baseline_j)"},
      {"negligible_energy_j", d.negligible_energy_j},
      {"tradeoff", to_string(d.tradeoff)},
      {"verdict", describe(d, false)},
      {"energy_estimated", d.energy_estimated},
  };
}

std::pair<fs::path, fs::path> write_green_delta(const GreenDelta& d, const RunRecord& model,
                                                const RunRecord& baseline,
                                                const fs::path& out_dir) {
  ensure_directory(out_dir);
  const std::string doc =
      fmt::format("# 🟢 Green Delta: {} against {}\n\nModel run: {} · baseline run: {}\n\n{}",
                  markdown_text(d.model.label), markdown_text(d.baseline.label),
                  markdown_text(model.name), markdown_text(baseline.name), to_markdown(d));
  const fs::path md = out_dir / "green_delta.md";
  const fs::path json = out_dir / "green_delta.json";
  nlohmann::json j = to_json(d);
  j["model"]["run"] = model.name;
  j["baseline"]["run"] = baseline.name;
  write_file_atomic(md, doc);
  write_file_atomic(json, j.dump(2) + "\n");
  return {md, json};
}

}  // namespace eden::report
