// Dropout with the hashed CPU mask: F::dropout's contract (keep rate, 1/(1-p) scaling, identity in
// eval and at p = 0, gradient = mask), reproducible under a seed and across thread counts, fresh
// per call, and no visible correlation between neighbouring elements.
#include "eden/models/blocks/dropout.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

namespace eden::models {
namespace {

TEST(Dropout, KeepsTheExpectedShareScaled) {
  torch::manual_seed(0);
  const int64_t n = 1 << 20;
  const auto x = torch::ones({n / 1024, 1024});
  for (const double p : {0.05, 0.1, 0.5, 0.9}) {
    const auto y = hashed_dropout(x, p, /*training=*/true);
    const auto kept = y.ne(0);
    const double keep_rate = kept.to(torch::kDouble).mean().item<double>();
    const double sigma = std::sqrt(p * (1 - p) / static_cast<double>(n));
    EXPECT_NEAR(keep_rate, 1 - p, 5 * sigma) << "p=" << p;
    // Kept values are exactly x / (1 - p), as F::dropout's.
    const float scale = static_cast<float>(1.0 / (1.0 - p));
    EXPECT_TRUE(torch::all(y.masked_select(kept).eq(scale)).item<bool>()) << "p=" << p;
  }
}

TEST(Dropout, IdentityInEvalAndAtZero) {
  const auto x = torch::randn({64, 64});
  EXPECT_TRUE(hashed_dropout(x, 0.5, /*training=*/false).is_same(x));
  EXPECT_TRUE(hashed_dropout(x, 0.0, /*training=*/true).is_same(x));
  EXPECT_EQ(hashed_dropout(x, 1.0, /*training=*/true).abs().sum().item<double>(), 0.0);
  EXPECT_ANY_THROW(hashed_dropout(x, 1.5, true));
}

TEST(Dropout, GradientIsTheMask) {
  torch::manual_seed(1);
  auto x = torch::randn({256, 100}, torch::requires_grad());
  const auto y = hashed_dropout(x, 0.3, true);
  y.sum().backward();
  // dy/dx is 0 where dropped and 1/(1-p) where kept, i.e. y / x elementwise.
  EXPECT_TRUE(torch::allclose(x.grad(), y.detach() / x.detach(), 1e-5, 1e-6));
}

TEST(Dropout, ReproducibleUnderASeedForAnyThreadCountAndFreshPerCall) {
  const auto x = torch::ones({300, 1000});
  const int before = torch::get_num_threads();
  torch::set_num_threads(1);
  torch::manual_seed(7);
  const auto a1 = hashed_dropout(x, 0.2, true);
  const auto a2 = hashed_dropout(x, 0.2, true);
  torch::set_num_threads(2);
  torch::manual_seed(7);
  const auto b1 = hashed_dropout(x, 0.2, true);
  torch::set_num_threads(before);
  EXPECT_TRUE(torch::equal(a1, b1));
  EXPECT_FALSE(torch::equal(a1, a2));
  // Two draws agree on ~p^2 + (1-p)^2 = 68% of elements, as independent masks would.
  const double agree = a1.eq(a2).to(torch::kDouble).mean().item<double>();
  EXPECT_NEAR(agree, 0.68, 0.01);
}

TEST(Dropout, NeighboursUncorrelated) {
  torch::manual_seed(2);
  const auto m = hashed_dropout(torch::ones({1 << 20}), 0.5, true).ne(0).to(torch::kDouble);
  const auto c = m - m.mean();
  for (const int64_t lag : {1, 2, 16, 1024}) {
    const double corr = (c.slice(0, 0, -lag) * c.slice(0, lag)).mean().item<double>() /
                        c.pow(2).mean().item<double>();
    EXPECT_LT(std::abs(corr), 0.005) << "lag " << lag;  // 5 sigma at n = 2^20
  }
}

TEST(Dropout, ModuleIsTorchDropoutInTrainAndEval) {
  Dropout d(0.5);
  EXPECT_NE(d->as<torch::nn::Dropout>(), nullptr);
  const auto x = torch::ones({1000});
  EXPECT_GT(d->forward(x).eq(0).sum().item<int64_t>(), 400);
  d->eval();
  EXPECT_TRUE(torch::equal(d->forward(x), x));
}

}  // namespace
}  // namespace eden::models
