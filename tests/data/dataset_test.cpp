// Class subsets (used to pretrain on some classes and fine-tune on the others).
#include <gtest/gtest.h>

#include "../common/synthetic.h"
#include "eden/train/config.h"
#include "eden/util/check.h"

TEST(Dataset, SubsetOfClassesKeepsAndRelabelsInOrder) {
  auto ds = eden::testing::make_blocks_dataset(200, 4);
  auto sub = ds.subset_of_classes({3, 1});
  EXPECT_EQ(sub.classes, (std::vector<std::string>{"class3", "class1"}));
  const int64_t n3 = ds.labels.eq(3).sum().item<int64_t>();
  const int64_t n1 = ds.labels.eq(1).sum().item<int64_t>();
  ASSERT_EQ(sub.size(), n3 + n1);
  EXPECT_EQ(sub.labels.eq(0).sum().item<int64_t>(), n3);
  // The images travel with their labels: the first class-3 image is the first new class-0 image.
  const auto first3 = ds.labels.eq(3).nonzero()[0][0].item<int64_t>();
  const auto first0 = sub.labels.eq(0).nonzero()[0][0].item<int64_t>();
  EXPECT_TRUE(sub.images[first0].equal(ds.images[first3]));
  EXPECT_THROW(ds.subset_of_classes({4}), eden::Error);
}

TEST(Dataset, ClassListParsing) {
  EXPECT_EQ(eden::train::parse_class_list("0,2,5"), (std::vector<int64_t>{0, 2, 5}));
  EXPECT_TRUE(eden::train::parse_class_list("").empty());
  EXPECT_THROW(eden::train::parse_class_list("1,1"), eden::Error);
  EXPECT_THROW(eden::train::parse_class_list("1,x"), eden::Error);
  EXPECT_THROW(eden::train::parse_class_list("-1"), eden::Error);
}
