// Small, learnable synthetic data sets for tests (no files, no downloads).
#pragma once

#include <ATen/CPUGeneratorImpl.h>
#include <torch/torch.h>

#include <string>

#include "eden/data/dataset.h"

namespace eden::testing {

/// `n` grayscale size x size images in `classes` classes: class k lights a 4x4 block at a
/// position that depends on k, plus noise. Deterministic for a seed.
inline data::ImageDataset make_blocks_dataset(int64_t n, int64_t classes = 4, int64_t size = 16,
                                              uint64_t seed = 0, int64_t channels = 1) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(seed);
  data::ImageDataset ds;
  ds.labels = torch::randint(0, classes, {n}, gen, torch::kLong);
  auto images = torch::randint(0, 60, {n, channels, size, size}, gen, torch::kLong);
  const int64_t cells = size / 4;
  for (int64_t i = 0; i < n; ++i) {
    const int64_t k = ds.labels[i].item<int64_t>();
    const int64_t r = (k % cells) * 4, c = ((k / cells) % cells) * 4;
    images[i].narrow(1, r, 4).narrow(2, c, 4).add_(180);
  }
  ds.images = images.clamp(0, 255).to(torch::kUInt8).contiguous();
  for (int64_t k = 0; k < classes; ++k) ds.classes.push_back("class" + std::to_string(k));
  return ds;
}

inline data::DataSplits make_blocks_splits(int64_t train_n = 256, int64_t test_n = 64,
                                           int64_t classes = 4) {
  data::DataSplits s;
  s.name = "blocks";
  s.train = make_blocks_dataset(train_n, classes, 16, 1);
  s.test = make_blocks_dataset(test_n, classes, 16, 2);
  return s;
}

}  // namespace eden::testing
