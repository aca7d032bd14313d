// The in-RAM image data set every loader produces (E2AM Phase 1: decoded once, then indexed).
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace eden::data {

/// One split of a decoded data set, held as two contiguous tensors.
struct ImageDataset {
  torch::Tensor images;              // (N, C, H, W) uint8
  torch::Tensor labels;              // (N) int64, in [0, classes.size())
  std::vector<std::string> classes;  // class index -> name

  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  int64_t channels() const { return images.size(1); }
  int64_t height() const { return images.size(2); }
  int64_t width() const { return images.size(3); }
  int64_t num_classes() const { return static_cast<int64_t>(classes.size()); }

  /// Throws eden::Error when shapes, dtypes or label ranges are inconsistent.
  void validate(const std::string& what) const;

  /// The samples whose label is in `keep`, relabelled 0..keep.size()-1 in that order.
  ImageDataset subset_of_classes(const std::vector<int64_t>& keep) const;
};

/// A data set with its train and evaluation splits.
struct DataSplits {
  std::string name;  // e.g. "fashion-mnist"
  ImageDataset train;
  ImageDataset test;
};

}  // namespace eden::data
