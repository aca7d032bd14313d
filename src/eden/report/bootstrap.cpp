// Paired bootstrap intervals (see bootstrap.h).
#include "eden/report/bootstrap.h"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <random>

#include "eden/util/check.h"

namespace eden::report {

std::string BootstrapResult::method() const {
  return exact ? fmt::format("percentile bootstrap over {} seed(s), all {} resamples enumerated",
                             samples, resamples)
               : fmt::format("percentile bootstrap over {} seed(s), {} random resamples", samples,
                             resamples);
}

double quantile_linear(std::vector<double> values, double q) {
  EDEN_ASSERT(!values.empty() && q >= 0.0 && q <= 1.0, "quantile of ", values.size(), " at ", q);
  std::sort(values.begin(), values.end());
  const double pos = q * static_cast<double>(values.size() - 1);
  const auto lo = static_cast<std::size_t>(std::floor(pos));
  const std::size_t hi = std::min(lo + 1, values.size() - 1);
  return values[lo] + (pos - static_cast<double>(lo)) * (values[hi] - values[lo]);
}

double mean_at(const std::vector<double>& values, const std::vector<int64_t>& indices) {
  double sum = 0.0;
  for (const int64_t i : indices) sum += values.at(static_cast<std::size_t>(i));
  return sum / static_cast<double>(indices.size());
}

BootstrapResult paired_bootstrap(
    int64_t samples, int64_t num_statistics,
    const std::function<void(const std::vector<int64_t>&, std::vector<double>&)>& statistic,
    const BootstrapOptions& options) {
  EDEN_CHECK(samples >= 1, "bootstrap: needs at least one paired sample, got ", samples);
  EDEN_CHECK(options.confidence > 0.0 && options.confidence < 1.0, "bootstrap: confidence ",
             options.confidence, " is not in (0, 1)");
  BootstrapResult r;
  r.samples = samples;
  const auto n = static_cast<std::size_t>(samples);
  const auto k = static_cast<std::size_t>(num_statistics);
  std::vector<double> out(k, 0.0);
  std::vector<int64_t> idx(n);
  for (std::size_t i = 0; i < n; ++i) idx[i] = static_cast<int64_t>(i);
  statistic(idx, out);
  r.intervals.resize(k);
  for (std::size_t s = 0; s < k; ++s) r.intervals[s].estimate = out[s];

  // N^N, saturating once it passes max_exact.
  int64_t total = 1;
  for (int64_t i = 0; i < samples && total <= options.max_exact; ++i) total *= samples;
  r.exact = total <= options.max_exact;
  r.resamples = r.exact ? total : options.resamples;
  std::vector<std::vector<double>> values(k);
  for (auto& v : values) v.reserve(static_cast<std::size_t>(r.resamples));
  std::mt19937_64 rng(options.seed);
  std::uniform_int_distribution<int64_t> pick(0, samples - 1);
  std::fill(idx.begin(), idx.end(), 0);
  for (int64_t b = 0; b < r.resamples; ++b) {
    if (r.exact) {
      if (b > 0) {  // the next index vector in odometer order
        for (std::size_t pos = n; pos-- > 0;) {
          if (++idx[pos] < samples) break;
          idx[pos] = 0;
        }
      }
    } else {
      for (auto& i : idx) i = pick(rng);
    }
    statistic(idx, out);
    for (std::size_t s = 0; s < k; ++s) values[s].push_back(out[s]);
  }
  const double tail = (1.0 - options.confidence) / 2.0;
  for (std::size_t s = 0; s < k; ++s) {
    auto& iv = r.intervals[s];
    iv.finite =
        std::all_of(values[s].begin(), values[s].end(), [](double v) { return std::isfinite(v); });
    if (!iv.finite) {
      iv.low = iv.high = std::nan("");
      continue;
    }
    iv.low = quantile_linear(values[s], tail);
    iv.high = quantile_linear(values[s], 1.0 - tail);
  }
  return r;
}

}  // namespace eden::report
