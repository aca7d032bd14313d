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

namespace {

// (n, 3, s, s) uint8: sample i is a horizontal ramp x * 255 / (s - 1) in every channel.
eden::data::ImageDataset ramp_dataset(int64_t n, int64_t s) {
  eden::data::ImageDataset ds;
  auto ramp = torch::linspace(0, 255, s).round().to(torch::kUInt8).view({1, 1, 1, s});
  ds.images = ramp.expand({n, 3, s, s}).contiguous();
  ds.labels = torch::zeros({n}, torch::kLong);
  ds.classes = {"a"};
  return ds;
}

LoaderOptions rrc_opts() {
  LoaderOptions o;
  o.batch_size = 8;
  o.seed = 11;
  o.norm.mean = {0.0, 0.0, 0.0};
  o.norm.std = {1.0 / 255.0, 1.0 / 255.0, 1.0 / 255.0};
  o.random_resized_crop = true;
  return o;
}

}  // namespace

TEST(RandomResizedCrop, FullAreaSquareCropIsTheIdentity) {
  auto o = rrc_opts();
  o.rrc_scale_min = 1.0;  // area fraction 1 at aspect 1: the whole image, every draw
  o.rrc_ratio_min = o.rrc_ratio_max = 1.0;
  const auto ds = ramp_dataset(8, 24);
  BatchLoader l(ds, o);
  const auto x = l.batch(0).x;
  EXPECT_TRUE(torch::allclose(x, ds.images.to(torch::kFloat), 0.0, 1e-3));
}

TEST(RandomResizedCrop, CropsAreZoomsOfTheRampWithinTheirBounds) {
  // A crop of width w at left j, resized to s, samples the ramp linearly: each output row is
  // increasing, spans less than the full range, and every draw obeys area and ratio bounds.
  const int64_t s = 64;
  const auto ds = ramp_dataset(64, s);
  auto o = rrc_opts();
  BatchLoader l(ds, o);
  int64_t zoomed = 0;
  for (int64_t b = 0; b < l.num_batches(); ++b) {
    const auto x = l.batch(b).x;  // (8, 3, s, s)
    for (int64_t i = 0; i < x.size(0); ++i) {
      const auto row = x[i][0][s / 2];
      const double span = (row[s - 1] - row[0]).item<double>();
      EXPECT_GE((row.slice(0, 1) - row.slice(0, 0, s - 1)).min().item<double>(), -1e-3);
      // Width fraction sqrt(area * ratio) is within [sqrt(0.08 * 3/4), 1].
      EXPECT_GT(span, 255.0 * 0.2);
      EXPECT_LE(span, 255.0 + 1e-3);
      zoomed += span < 250.0;
      // Rows of a horizontal ramp stay equal to each other after any crop.
      EXPECT_TRUE(torch::allclose(x[i][0][0], x[i][0][s - 1], 0.0, 1e-3));
    }
  }
  EXPECT_GT(zoomed, 32);  // most draws are real crops, not the whole image
  // Deterministic for (seed, epoch, batch).
  BatchLoader again(ds, o);
  EXPECT_TRUE(torch::equal(again.batch(3).x, l.batch(3).x));
  again.set_epoch(1);
  EXPECT_FALSE(torch::equal(again.batch(3).x, l.batch(3).x));
}
