// Green Delta Table and EAG = (Acc_model - Acc_base) / (E_model - E_base) in accuracy per joule,
// with the trade-off stated in words because the sign alone misleads.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "eden/report/run_record.h"

namespace eden::report {

/// What the table needs of one run.
struct RunNumbers {
  std::string label;                       // column heading, e.g. "resnet50"
  double accuracy = 0.0;                   // top-1, fraction in [0, 1]
  double energy_j = 0.0;                   // whole training run
  double co2_kg = 0.0;                     // CO2-equivalent of energy_j
  std::string energy_source = "measured";  // measured | estimated | mixed | none
};

/// The four quadrants of (accuracy difference, energy difference), plus "too close to call".
enum class Tradeoff {
  kDominates,                   // at least as accurate for less energy
  kTradesAccuracyForEnergy,     // less accurate, less energy (the reference card's case)
  kCostsEnergyForAccuracy,      // more accurate, more energy
  kDominated,                   // at most as accurate for more energy
  kNegligibleEnergyDifference,  // |dE| under the threshold: the ratio would divide by noise
};

/// "dominates", "trades_accuracy_for_energy", ... (the JSON spelling).
std::string to_string(Tradeoff tradeoff);

struct GreenDeltaOptions {
  /// |E_model - E_baseline| below max(min_energy_fraction * E_baseline, min_energy_j) is
  /// "negligible": same-machine run-to-run energy varies by about a percent, so a smaller
  /// difference says nothing about the models and EAG is not reported.
  double min_energy_fraction = 0.01;
  double min_energy_j = 1.0;
};

struct GreenDelta {
  RunNumbers baseline;
  RunNumbers model;
  double accuracy_delta = 0.0;         // model - baseline, fraction
  double accuracy_delta_pp = 0.0;      // the same in percentage points
  double energy_delta_j = 0.0;         // model - baseline
  double energy_saved_fraction = 0.0;  // (baseline - model) / baseline; < 0 when model uses more
  double co2_delta_kg = 0.0;           // model - baseline
  double eag = 0.0;                    // accuracy per joule; NaN when !eag_meaningful
  bool eag_meaningful = false;
  double negligible_energy_j = 0.0;  // the threshold that applied
  Tradeoff tradeoff = Tradeoff::kNegligibleEnergyDifference;
  bool energy_estimated = false;  // either run's energy is not entirely measured
};

/// CO2-equivalent of `energy_j` at a grid intensity (gCO2eq/kWh) and PUE, in kg.
double co2_kg_for(double energy_j, double intensity_g_per_kwh, double pue = 1.0);

/// Computes the table's numbers. Pure: no files. Throws eden::Error on accuracies outside [0, 1]
/// or negative energies.
GreenDelta compute_green_delta(const RunNumbers& model, const RunNumbers& baseline,
                               const GreenDeltaOptions& options = {});

/// The numbers of a loaded run; `label` defaults to the run's model name.
RunNumbers run_numbers(const RunRecord& run, std::string label = "");

/// Green delta of two runs, labelled by model name (plus the run directory's name when both
/// runs trained the same model).
GreenDelta compare_runs(const RunRecord& model, const RunRecord& baseline,
                        const GreenDeltaOptions& options = {});

/// The verdict in words, e.g. "small_cnn trades accuracy for energy: ...". `markdown` escapes
/// the labels and emphasises the headline.
std::string describe(const GreenDelta& delta, bool markdown = false);

/// "| Metric | <baseline> Baseline | <model> (EDEN) | Δ |" table, then the verdict and, when any
/// energy is estimated, a warning line. Labels are Markdown-escaped.
std::string to_markdown(const GreenDelta& delta);

/// Every number, the verdict and the trade-off as JSON (what green_delta.json holds).
nlohmann::json to_json(const GreenDelta& delta);

/// Writes green_delta.md (a titled document naming both run directories) and green_delta.json
/// into `out_dir`; returns the two paths.
std::pair<fs::path, fs::path> write_green_delta(const GreenDelta& delta, const RunRecord& model,
                                                const RunRecord& baseline, const fs::path& out_dir);

}  // namespace eden::report
