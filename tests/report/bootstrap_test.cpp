// Paired bootstrap intervals against numpy's exact enumeration of every resample.
#include "eden/report/bootstrap.h"

#include <gtest/gtest.h>

#include <fmt/format.h>

#include <sstream>

#include "../io/python.h"
#include "eden/util/check.h"

namespace {

using eden::report::mean_at;
using eden::report::paired_bootstrap;

// Paired (candidate, baseline) accuracies and energies of N seeds.
struct Pairs {
  std::vector<double> acc_c, acc_b, j_c, j_b;
};

// [mean Δaccuracy, mean ΔJ, EAG = mean Δacc / mean ΔJ]
eden::report::BootstrapResult study(const Pairs& p) {
  return paired_bootstrap(static_cast<int64_t>(p.acc_c.size()), 3,
                          [&](const std::vector<int64_t>& idx, std::vector<double>& out) {
                            const double da = mean_at(p.acc_c, idx) - mean_at(p.acc_b, idx);
                            const double dj = mean_at(p.j_c, idx) - mean_at(p.j_b, idx);
                            out[0] = da;
                            out[1] = dj;
                            out[2] = da / dj;
                          });
}

std::string py_list(const std::vector<double>& v) {
  std::string s = "[";
  for (double x : v) s += fmt::format("{},", x);
  return s + "]";
}

TEST(Bootstrap, IntervalsMatchNumpyOverEveryResample) {
  ASSERT_TRUE(eden::testing::python_has("numpy")) << "numpy is installed by scripts/setup";
  const std::vector<Pairs> cases = {
      {{0.81, 0.83, 0.80}, {0.85, 0.86, 0.84}, {500, 520, 490}, {900, 950, 910}},
      {{0.71, 0.69, 0.74, 0.70, 0.72},
       {0.70, 0.72, 0.71, 0.69, 0.73},
       {210, 205, 230, 190, 201},
       {300, 320, 310, 305, 299}},
  };
  for (const auto& p : cases) {
    const auto r = study(p);
    const std::string script = fmt::format(
        "import itertools, numpy as np\n"
        "ac, ab, jc, jb = map(np.array, ({}, {}, {}, {}))\n"
        "n = len(ac); s = []\n"
        "for idx in itertools.product(range(n), repeat=n):\n"
        "    i = list(idx); da = (ac[i] - ab[i]).mean(); dj = (jc[i] - jb[i]).mean()\n"
        "    s.append((da, dj, da / dj))\n"
        "s = np.array(s)\n"
        // %.17g: numpy 2's repr prints np.float64(x), which istream cannot read.
        "for k in range(3): print(\"%.17g %.17g\" % (np.quantile(s[:, k], 0.025), "
        "np.quantile(s[:, k], 0.975)))\n",
        py_list(p.acc_c), py_list(p.acc_b), py_list(p.j_c), py_list(p.j_b));
    const auto py = eden::testing::run_python("-c '" + script + "'");
    ASSERT_EQ(py.status, 0) << py.output;
    std::istringstream in(py.output);
    ASSERT_TRUE(r.exact);
    EXPECT_EQ(r.resamples, static_cast<int64_t>(std::pow(p.acc_c.size(), p.acc_c.size())));
    for (std::size_t k = 0; k < 3; ++k) {
      double lo = 0, hi = 0;
      ASSERT_TRUE(in >> lo >> hi) << py.output;
      const double tol = 1e-12 * std::max(1.0, std::fabs(lo) + std::fabs(hi));
      EXPECT_NEAR(r.intervals[k].low, lo, tol) << "statistic " << k;
      EXPECT_NEAR(r.intervals[k].high, hi, tol) << "statistic " << k;
      EXPECT_LE(r.intervals[k].low, r.intervals[k].estimate);
      EXPECT_GE(r.intervals[k].high, r.intervals[k].estimate);
    }
  }
}

TEST(Bootstrap, OneSeedGivesAPointAndZeroCrossingsAreSeen) {
  const auto one = study({{0.8}, {0.85}, {500}, {900}});
  EXPECT_EQ(one.resamples, 1);
  EXPECT_DOUBLE_EQ(one.intervals[0].low, one.intervals[0].high);
  EXPECT_NEAR(one.intervals[0].estimate, -0.05, 1e-15);
  // Accuracy deltas of both signs: the interval crosses zero; energy always lower: it does not.
  const auto mixed =
      study({{0.80, 0.86, 0.83}, {0.82, 0.84, 0.83}, {500, 510, 505}, {900, 905, 899}});
  EXPECT_TRUE(mixed.intervals[0].contains_zero());
  EXPECT_FALSE(mixed.intervals[1].contains_zero());
  EXPECT_NE(mixed.method().find("all 27 resamples enumerated"), std::string::npos);
}

TEST(Bootstrap, ManySeedsDrawReproducibleRandomResamples) {
  Pairs p;
  for (int i = 0; i < 9; ++i) {
    p.acc_c.push_back(0.8 + 0.01 * (i % 3));
    p.acc_b.push_back(0.82 + 0.005 * (i % 4));
    p.j_c.push_back(500 + 7 * i);
    p.j_b.push_back(900 - 3 * i);
  }
  const auto a = study(p), b = study(p);
  EXPECT_FALSE(a.exact);
  EXPECT_EQ(a.resamples, 20000);
  EXPECT_DOUBLE_EQ(a.intervals[2].low, b.intervals[2].low);
  EXPECT_LT(a.intervals[0].low, a.intervals[0].high);
}

TEST(Bootstrap, RatioOverAZeroMeanIsNotFinite) {
  // Resample {seed 0, seed 0} has ΔJ = 0: the EAG interval is undefined, not a huge number.
  const auto r = study({{0.8, 0.9}, {0.8, 0.8}, {500, 600}, {500, 500}});
  EXPECT_FALSE(r.intervals[2].finite);
  EXPECT_TRUE(r.intervals[0].finite);
  EXPECT_THROW(paired_bootstrap(0, 1, [](const auto&, auto&) {}), eden::Error);
}

TEST(Bootstrap, QuantileIsNumpysLinearDefault) {
  EXPECT_DOUBLE_EQ(eden::report::quantile_linear({4, 1, 3, 2}, 0.5), 2.5);
  EXPECT_DOUBLE_EQ(eden::report::quantile_linear({1, 2, 3, 4}, 0.025), 1.075);
  EXPECT_DOUBLE_EQ(eden::report::quantile_linear({7}, 0.975), 7.0);
}

}  // namespace
