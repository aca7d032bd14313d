// The Green Delta of a study: a candidate and a baseline each trained with the same N seeds,
// every figure as the mean over seeds with a 95% paired bootstrap interval (report/bootstrap.h).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/report/bootstrap.h"
#include "eden/report/green_delta.h"

namespace eden::report {

/// One seed's pair of runs.
struct SeedPair {
  int64_t seed = 0;
  RunNumbers model;
  RunNumbers baseline;
  std::string model_run;  // run directory names, for the per-seed table
  std::string baseline_run;
};

struct RepeatedGreenDelta {
  /// The table's numbers on the means over seeds (labels, quadrant and threshold as one run's):
  /// with one seed it is exactly that seed's GreenDelta.
  GreenDelta mean;
  std::vector<SeedPair> pairs;       // in seed order
  std::vector<GreenDelta> per_seed;  // pairs[i]'s own delta
  BootstrapResult bootstrap;         // its intervals are the fields below, by name
  Interval model_accuracy, baseline_accuracy, accuracy_delta_pp;
  Interval model_energy_j, baseline_energy_j, energy_delta_j, energy_saved_fraction;
  Interval model_co2_kg, baseline_co2_kg, co2_delta_kg;
  Interval eag;  // mean Δaccuracy / mean ΔJ of each resample

  int64_t seeds() const { return static_cast<int64_t>(pairs.size()); }
  /// The accuracy (or energy) difference's interval crosses zero: at this many seeds the
  /// candidate is not distinguishable from the baseline in it. Never with one seed.
  bool accuracy_indistinguishable() const;
  bool energy_indistinguishable() const;
};

/// Pairs must be non-empty, with distinct seeds; throws eden::Error otherwise (or for the
/// numbers compute_green_delta rejects). Energy sources that differ between seeds read "mixed".
RepeatedGreenDelta compute_repeated_green_delta(std::vector<SeedPair> pairs,
                                                const GreenDeltaOptions& options = {},
                                                const BootstrapOptions& bootstrap = {});

/// The verdict: describe(mean) and, with N > 1, the intervals in words, saying "not
/// distinguishable from the baseline at N seeds" where an interval crosses zero.
std::string describe(const RepeatedGreenDelta& delta, bool markdown = false);

/// With one seed exactly to_markdown(delta.mean). Otherwise the table with "mean [low, high]"
/// cells, the method and N, the verdict, and a per-seed table.
std::string to_markdown(const RepeatedGreenDelta& delta);

/// to_json(mean) plus seeds, method and every interval ({estimate, low, high} or null when a
/// resample made it undefined) and the per-seed numbers.
nlohmann::json to_json(const RepeatedGreenDelta& delta);

/// Writes green_delta.md and green_delta.json into `out_dir`; returns the two paths.
std::pair<fs::path, fs::path> write_repeated_green_delta(const RepeatedGreenDelta& delta,
                                                         const fs::path& out_dir);

}  // namespace eden::report
