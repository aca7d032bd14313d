// Batches from an in-RAM data set by index: no DataLoader, no per-sample copies. Augmentation
// (random crop with padding, random-resized crop, horizontal flip) and normalisation run on
// whole batches. Encoded data sets are decoded one batch ahead on a thread pool.
#pragma once

#include <torch/torch.h>

#include <future>

#include <string>
#include <vector>

#include "eden/data/dataset.h"

namespace eden::data {

/// Where the decoded images live during training.
enum class Preload {
  kHost,    // system RAM (pinned when CUDA is available): one host->device copy per batch
  kDevice,  // the whole uint8 set on the training device: zero copies per batch
};
Preload parse_preload(const std::string& text);
std::string to_string(Preload p);

/// Per-channel mean and std of a data set, in [0, 1] pixel units.
struct Normalization {
  std::vector<double> mean;
  std::vector<double> std;
};
/// Measures the per-channel statistics of `ds` (one pass over its uint8 tensor; for an encoded
/// data set, over an evenly spaced sample of at most 2048 images).
Normalization measure_normalization(const ImageDataset& ds);

struct LoaderOptions {
  int64_t batch_size = 128;
  bool shuffle = true;
  bool drop_last = false;
  uint64_t seed = 0;
  int64_t crop_padding = 0;          // random crop of the original size after zero padding; 0 = off
  bool hflip = false;                // random horizontal flip with p = 0.5
  bool random_resized_crop = false;  // torchvision RandomResizedCrop to the stored size
  double rrc_scale_min = 0.08;       // area fraction range [rrc_scale_min, 1]
  double rrc_ratio_min = 3.0 / 4.0;  // aspect ratio range [min, max], drawn log-uniformly
  double rrc_ratio_max = 4.0 / 3.0;
  Normalization norm;  // empty = 0.5 / 0.5 per channel
  torch::Device device = torch::kCPU;
  Preload preload = Preload::kHost;
  /// Data-parallel sharding: batch i of the epoch is global batch i (batch_size * shard_count
  /// samples of the permutation, the same on every rank), of which this rank takes the
  /// shard_rank-th of shard_count near-equal parts. Every sample once per epoch across ranks;
  /// every rank has the same number of batches (a part of the last one may be empty).
  int64_t shard_rank = 0;
  int64_t shard_count = 1;
};

struct Batch {
  torch::Tensor x;      // (B, C, H, W) float32, normalised, on the device; undefined from targets()
  torch::Tensor y;      // (B) int64, on the device
  torch::Tensor index;  // (B) int64: the samples' rows in the data set, where the data lives
};

class BatchLoader {
 public:
  /// Keeps a reference to `ds`'s tensors (moved to the device for Preload::kDevice).
  BatchLoader(const ImageDataset& ds, LoaderOptions options);
  ~BatchLoader();
  BatchLoader(const BatchLoader&) = delete;
  BatchLoader& operator=(const BatchLoader&) = delete;

  /// Sets the sample order for `epoch`: a permutation that depends only on (seed, epoch).
  void set_epoch(int64_t epoch);
  int64_t num_batches() const;
  int64_t num_samples() const { return labels_.size(0); }
  /// Batch `i` of the current epoch; augmentation draws depend only on (seed, epoch, i, shard).
  Batch batch(int64_t i) const;
  /// Batch `i`'s labels and rows without its pixels (for a head trained on cached features).
  Batch targets(int64_t i) const;
  /// Turns the random augmentation off (false) or back on; the draws of later epochs do not
  /// depend on it. Normalisation always applies.
  void set_augmentation(bool on) { augmentation_ = on; }
  bool augments() const {
    return options_.crop_padding > 0 || options_.hflip || options_.random_resized_crop;
  }
  /// Samples in global batch `i` over all shards (= this batch's size without sharding).
  int64_t global_batch_samples(int64_t i) const;
  const LoaderOptions& options() const { return options_; }

 private:
  torch::Tensor augment(torch::Tensor x, at::Generator& gen) const;  // uint8 in, uint8 out
  // (B, C, H, W) float -> same shape, each sample a random crop resized back (bilinear).
  torch::Tensor random_resized_crop(const torch::Tensor& x, at::Generator& gen) const;
  torch::Tensor pixels(int64_t i) const;  // uint8 pixels of batch i (decoded ahead if encoded)
  torch::Tensor batch_indices(int64_t i) const;

  LoaderOptions options_;
  ImageDataset encoded_;  // encoded mode: the data set (pixels decoded per batch)
  torch::Tensor images_;  // (N, C, H, W) uint8, host (maybe pinned) or device; decoded mode
  torch::Tensor labels_;  // (N) int64, same place as images_
  torch::Tensor order_;   // (N) int64 on images_' device
  torch::Tensor mean_;    // (1, C, 1, 1) float, scaled to [0, 255] units
  torch::Tensor inv_std_;
  int64_t epoch_ = 0;
  bool augmentation_ = true;
  mutable int64_t prefetched_ = -1;  // batch whose pixels prefetch_ decodes
  mutable std::future<torch::Tensor> prefetch_;
};

}  // namespace eden::data
