// Learning-rate schedules against their closed forms.
#include <gtest/gtest.h>

#include <cmath>

#include "eden/train/lr_schedule.h"

using eden::train::learning_rate;
using eden::train::LrScheduleOptions;

TEST(LrSchedule, CosineStartsAtBaseAndEndsAtTheFloor) {
  LrScheduleOptions o;
  o.base_lr = 0.1;
  o.updates_per_epoch = 10;
  o.epochs = 4;
  o.min_lr_ratio = 0.01;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 0), 0.1);
  EXPECT_NEAR(learning_rate(o, 2, 20), 0.1 * (0.01 + 0.99 * 0.5), 1e-12);
  EXPECT_NEAR(learning_rate(o, 3, 40), 0.001, 1e-12);
}

TEST(LrSchedule, LinearWarmupThenCosine) {
  LrScheduleOptions o;
  o.base_lr = 1.0;
  o.updates_per_epoch = 4;
  o.epochs = 3;
  o.warmup_epochs = 1;
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 0), 0.25);
  EXPECT_DOUBLE_EQ(learning_rate(o, 0, 3), 1.0);
  EXPECT_DOUBLE_EQ(learning_rate(o, 1, 4), 1.0);
  EXPECT_NEAR(learning_rate(o, 2, 8), 0.5, 1e-12);
}

TEST(LrSchedule, StepDecaysOnEpochBoundariesLikePython) {
  LrScheduleOptions o;
  o.kind = "step";
  o.base_lr = 1.0;
  o.step_epochs = 2;
  o.step_gamma = 0.1;
  o.epochs = 6;
  // Python StepLR(step_size=2): epochs 0-1 -> 1, 2-3 -> 0.1, 4-5 -> 0.01.
  EXPECT_DOUBLE_EQ(learning_rate(o, 1, 0), 1.0);
  EXPECT_NEAR(learning_rate(o, 2, 0), 0.1, 1e-15);
  EXPECT_NEAR(learning_rate(o, 5, 0), 0.01, 1e-15);
}

TEST(LrSchedule, UnfreezeDecayMultipliesFromTheSwitchOn) {
  LrScheduleOptions o;
  o.kind = "constant";
  o.base_lr = 2.0;
  o.unfreeze_epoch = 2;
  o.unfreeze_lr_decay = 0.1;
  EXPECT_DOUBLE_EQ(learning_rate(o, 1, 0), 2.0);
  EXPECT_NEAR(learning_rate(o, 2, 0), 0.2, 1e-15);
  EXPECT_NEAR(learning_rate(o, 7, 0), 0.2, 1e-15);
}
