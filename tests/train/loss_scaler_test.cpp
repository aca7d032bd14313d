// Dynamic loss scaling: an induced overflow skips the step and halves the scale; clean steps
// grow it after growth_interval; gradients come back unscaled.
#include <gtest/gtest.h>

#include "eden/train/loss_scaler.h"

using eden::train::DynamicLossScaler;
using eden::train::LossScalerOptions;

TEST(LossScaler, DefaultsMatchTorchGradScaler) {
  DynamicLossScaler s;
  EXPECT_EQ(s.current_scale(), 65536.0);
  for (int i = 0; i < 1999; ++i) s.update(false);
  EXPECT_EQ(s.current_scale(), 65536.0);
  s.update(false);
  EXPECT_EQ(s.current_scale(), 131072.0);
  s.update(true);
  EXPECT_EQ(s.current_scale(), 65536.0);
  EXPECT_EQ(s.growth_tracker(), 0);
}

TEST(LossScaler, UnscalesFiniteGradientsExactly) {
  DynamicLossScaler s(LossScalerOptions().init_scale(1024));
  auto w = torch::ones({3}, torch::requires_grad());
  s.scale((w * torch::tensor({1.0f, 2.0f, 3.0f})).sum()).backward();
  EXPECT_TRUE(w.grad().equal(torch::tensor({1024.0f, 2048.0f, 3072.0f})));
  EXPECT_FALSE(s.unscale_and_check({w}));
  EXPECT_TRUE(w.grad().equal(torch::tensor({1.0f, 2.0f, 3.0f})));
}

TEST(LossScaler, OverflowIsDetectedForInfAndNaN) {
  for (float bad : {INFINITY, NAN}) {
    DynamicLossScaler s(LossScalerOptions().init_scale(8).growth_interval(3));
    auto a = torch::ones({2}, torch::requires_grad());
    auto b = torch::ones({2}, torch::requires_grad());
    (a.sum() + (b * bad).sum()).backward();
    EXPECT_TRUE(s.unscale_and_check({a, b}));
    s.update(true);
    EXPECT_EQ(s.current_scale(), 4.0);
    for (int i = 0; i < 3; ++i) s.update(false);
    EXPECT_EQ(s.current_scale(), 8.0);
  }
}

TEST(LossScaler, SkipsParametersWithoutGradients) {
  DynamicLossScaler s;
  auto frozen = torch::ones({2});
  EXPECT_FALSE(s.unscale_and_check({frozen}));
}
