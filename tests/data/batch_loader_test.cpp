// BatchLoader: seeded shuffling, exact coverage, batch-wide augmentation and normalisation.
#include <gtest/gtest.h>

#include "../common/synthetic.h"
#include "eden/data/batch_loader.h"
#include "eden/util/check.h"

using eden::data::BatchLoader;
using eden::data::LoaderOptions;

namespace {

LoaderOptions opts(int64_t batch, uint64_t seed = 3) {
  LoaderOptions o;
  o.batch_size = batch;
  o.seed = seed;
  o.norm.mean = {0.0};
  o.norm.std = {1.0 / 255.0};  // x_float == pixel value, easy to compare
  return o;
}

torch::Tensor epoch_labels(BatchLoader& l, int64_t epoch) {
  l.set_epoch(epoch);
  std::vector<torch::Tensor> ys;
  for (int64_t b = 0; b < l.num_batches(); ++b) ys.push_back(l.batch(b).y);
  return torch::cat(ys);
}

}  // namespace

TEST(BatchLoader, EveryEpochVisitsEverySampleOnceWithAShortLastBatch) {
  auto ds = eden::testing::make_blocks_dataset(103);
  BatchLoader l(ds, opts(10));
  ASSERT_EQ(l.num_batches(), 11);
  l.set_epoch(0);
  EXPECT_EQ(l.batch(10).y.size(0), 3);
  // Pixel sums identify samples: the multiset of sums must equal the data set's.
  std::vector<torch::Tensor> sums;
  for (int64_t b = 0; b < l.num_batches(); ++b) sums.push_back(l.batch(b).x.sum({1, 2, 3}));
  auto got = std::get<0>(torch::cat(sums).sort());
  auto want = std::get<0>(ds.images.to(torch::kFloat).sum({1, 2, 3}).sort());
  EXPECT_TRUE(got.equal(want));
}

TEST(BatchLoader, ShufflingIsDeterministicPerSeedAndEpoch) {
  auto ds = eden::testing::make_blocks_dataset(200);
  BatchLoader a(ds, opts(16, 7)), b(ds, opts(16, 7)), c(ds, opts(16, 8));
  EXPECT_TRUE(epoch_labels(a, 2).equal(epoch_labels(b, 2)));
  EXPECT_FALSE(epoch_labels(a, 2).equal(epoch_labels(a, 3)));
  EXPECT_FALSE(epoch_labels(a, 2).equal(epoch_labels(c, 2)));
  auto o = opts(16);
  o.shuffle = false;
  BatchLoader seq(ds, o);
  EXPECT_TRUE(epoch_labels(seq, 5).equal(ds.labels));
}

TEST(BatchLoader, NormalisesPerChannel) {
  auto ds = eden::testing::make_blocks_dataset(64, 4, 16, 0, 3);
  auto o = opts(64);
  o.shuffle = false;
  o.norm = eden::data::measure_normalization(ds);
  BatchLoader l(ds, o);
  auto x = l.batch(0).x;  // (64, 3, 16, 16)
  auto mean = x.mean({0, 2, 3});
  auto sd = x.std({0, 2, 3}, /*unbiased=*/false);
  EXPECT_TRUE(mean.abs().lt(1e-4).all().item<bool>()) << mean;
  EXPECT_TRUE((sd - 1).abs().lt(1e-2).all().item<bool>()) << sd;
}

TEST(BatchLoader, FlipGivesOriginalOrMirroredImages) {
  auto ds = eden::testing::make_blocks_dataset(64);
  auto o = opts(64);
  o.shuffle = false;
  o.hflip = true;
  BatchLoader l(ds, o);
  auto x = l.batch(0).x;
  auto orig = ds.images.to(torch::kFloat);
  auto same = x.eq(orig).flatten(1).all(1);
  auto mirrored = x.eq(orig.flip({3})).flatten(1).all(1);
  EXPECT_TRUE(same.logical_or(mirrored).all().item<bool>());
  EXPECT_GT(mirrored.logical_and(same.logical_not()).sum().item<int64_t>(), 10);
  EXPECT_GT(same.sum().item<int64_t>(), 10);
  // Same draws for the same (seed, epoch, batch).
  EXPECT_TRUE(x.equal(l.batch(0).x));
}

TEST(BatchLoader, RandomCropIsAShiftedWindowOfThePaddedImage) {
  auto ds = eden::testing::make_blocks_dataset(32);
  auto o = opts(32);
  o.shuffle = false;
  o.crop_padding = 2;
  BatchLoader l(ds, o);
  auto x = l.batch(0).x;
  auto padded = torch::constant_pad_nd(ds.images.to(torch::kFloat), {2, 2, 2, 2}, 0);
  int64_t shifted = 0;
  for (int64_t i = 0; i < 32; ++i) {
    bool found = false;
    for (int64_t dy = 0; dy <= 4 && !found; ++dy) {
      for (int64_t dx = 0; dx <= 4 && !found; ++dx) {
        found = x[i].equal(padded[i].narrow(1, dy, 16).narrow(2, dx, 16));
        if (found && (dy != 2 || dx != 2)) ++shifted;
      }
    }
    EXPECT_TRUE(found) << "sample " << i;
  }
  EXPECT_GT(shifted, 16);
}

TEST(BatchLoader, RejectsBadOptions) {
  auto ds = eden::testing::make_blocks_dataset(8);
  auto o = opts(0);
  EXPECT_THROW(BatchLoader(ds, o), eden::Error);
  o = opts(4);
  o.preload = eden::data::Preload::kDevice;  // needs CUDA
  EXPECT_THROW(BatchLoader(ds, o), eden::Error);
  EXPECT_THROW(eden::data::parse_preload("gpu"), eden::Error);
}
