// Paired bootstrap over seeds: 95% percentile intervals of statistics of N paired runs
// (candidate and baseline trained with the same seed), for the Green Delta of a study.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace eden::report {

struct BootstrapOptions {
  double confidence = 0.95;
  /// Every one of the N^N resamples is enumerated when there are at most this many (N <= 7);
  /// above it `resamples` random ones are drawn with `seed`.
  int64_t max_exact = 1'000'000;
  int64_t resamples = 20'000;
  uint64_t seed = 0;
};

/// A statistic's value on the samples as measured and its interval.
struct Interval {
  double estimate = 0.0;
  double low = 0.0;
  double high = 0.0;
  /// False when a resample made the statistic non-finite (e.g. a ratio over a zero mean).
  bool finite = true;
  bool contains_zero() const { return low <= 0.0 && high >= 0.0; }
};

struct BootstrapResult {
  std::vector<Interval> intervals;  // one per statistic
  int64_t samples = 0;              // N, the paired seeds
  int64_t resamples = 0;
  bool exact = false;  // all N^N resamples enumerated
  /// "percentile bootstrap over 3 seed(s), all 27 resamples enumerated".
  std::string method() const;
};

/// `statistic(indices, out)` writes every statistic of the samples `indices` (N entries in
/// [0, N), repeats allowed) into out[0..num_statistics). The estimate is the statistic on
/// 0..N-1; the interval is the (1-confidence)/2 and (1+confidence)/2 quantiles over the
/// resamples (numpy's default linear interpolation). Throws eden::Error for N < 1.
BootstrapResult paired_bootstrap(
    int64_t samples, int64_t num_statistics,
    const std::function<void(const std::vector<int64_t>&, std::vector<double>&)>& statistic,
    const BootstrapOptions& options = {});

/// The q-quantile (q in [0, 1]) of `values` as numpy.quantile computes it by default.
double quantile_linear(std::vector<double> values, double q);

/// Mean of values[indices[i]].
double mean_at(const std::vector<double>& values, const std::vector<int64_t>& indices);

}  // namespace eden::report
