// Metrics against hand-computed values.
#include <gtest/gtest.h>

#include "eden/eval/metrics.h"

using eden::eval::MetricAccumulator;

TEST(Metrics, ConfusionTop1Top5F1AndPerClassMatchHandComputation) {
  // 3 classes; predictions (argmax): [0, 0, 1, 2, 2, 2] for targets [0, 1, 1, 2, 2, 0].
  auto logits = torch::tensor({{5.f, 1.f, 0.f},
                               {4.f, 3.f, 0.f},
                               {0.f, 9.f, 1.f},
                               {0.f, 1.f, 2.f},
                               {0.f, 0.f, 3.f},
                               {1.f, 0.f, 2.f}});
  auto targets = torch::tensor({0, 1, 1, 2, 2, 0}, torch::kLong);
  MetricAccumulator acc(3);
  acc.add(logits.narrow(0, 0, 4), targets.narrow(0, 0, 4), torch::tensor(1.0));
  acc.add(logits.narrow(0, 4, 2), targets.narrow(0, 4, 2), torch::tensor(2.0));
  auto r = acc.finish();
  EXPECT_EQ(r.samples, 6);
  EXPECT_DOUBLE_EQ(r.loss, 0.5);
  EXPECT_DOUBLE_EQ(r.top1, 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(r.top5, 1.0);  // top-3 with 3 classes
  auto expected = torch::tensor({{1, 0, 1}, {1, 1, 0}, {0, 0, 2}}, torch::kLong);
  EXPECT_TRUE(r.confusion.equal(expected)) << r.confusion;
  // F1: class0 tp1 fp1 fn1 -> 0.5; class1 tp1 fp0 fn1 -> 2/3; class2 tp2 fp1 fn0 -> 0.8.
  EXPECT_NEAR(r.macro_f1, (0.5 + 2.0 / 3.0 + 0.8) / 3.0, 1e-12);
  EXPECT_DOUBLE_EQ(r.per_class_accuracy[0], 0.5);
  EXPECT_DOUBLE_EQ(r.per_class_accuracy[1], 0.5);
  EXPECT_DOUBLE_EQ(r.per_class_accuracy[2], 1.0);
  const auto j = eden::eval::to_json(r, {"a", "b", "c"});
  EXPECT_DOUBLE_EQ(j.at("eval_top1").get<double>(), 4.0 / 6.0);
  EXPECT_DOUBLE_EQ(j.at("per_class_accuracy").at("c").get<double>(), 1.0);
  EXPECT_EQ(j.at("confusion_matrix")[0][2].get<int>(), 1);
}

TEST(Metrics, TopKUsesFiveWhenThereAreMoreClasses) {
  auto logits = torch::arange(10, torch::kFloat).unsqueeze(0);  // ranks: 9, 8, 7, 6, 5, ...
  MetricAccumulator acc(10);
  acc.add(logits, torch::tensor({5}, torch::kLong), torch::tensor(0.0));
  acc.add(logits, torch::tensor({4}, torch::kLong), torch::tensor(0.0));
  auto r = acc.finish();
  EXPECT_DOUBLE_EQ(r.top5, 0.5);
  EXPECT_DOUBLE_EQ(r.top1, 0.0);
}
