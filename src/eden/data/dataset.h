// The in-RAM image data set every loader produces (E2AM Phase 1: decoded once, then indexed).
// Either decoded pixels in one contiguous tensor, or, when those would not fit in RAM, the
// encoded files held in RAM and decoded per batch.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace eden::data {

/// Encoded image files kept in RAM (JPEG/PNG bytes), decoded to (3, size, size) on demand.
struct EncodedImages {
  std::vector<std::vector<uint8_t>> files;
  int64_t size = 224;  // stored side after Resize + CenterCrop
  int threads = 1;     // decoding threads per batch

  int64_t bytes() const;
  /// (len(ids), 3, size, size) uint8 of files `ids` (int64, CPU), decoded in parallel.
  torch::Tensor decode(const torch::Tensor& ids) const;
};

/// One split of a data set: decoded (`images`) or encoded (`encoded` + `encoded_ids`).
struct ImageDataset {
  torch::Tensor images;                          // (N, C, H, W) uint8; undefined when encoded
  torch::Tensor labels;                          // (N) int64, in [0, classes.size())
  std::vector<std::string> classes;              // class index -> name
  std::shared_ptr<const EncodedImages> encoded;  // set in encoded mode (shared by splits)
  torch::Tensor encoded_ids;                     // (N) int64 into encoded->files

  bool is_encoded() const { return encoded != nullptr; }
  int64_t size() const { return labels.defined() ? labels.size(0) : 0; }
  int64_t channels() const { return is_encoded() ? 3 : images.size(1); }
  int64_t height() const { return is_encoded() ? encoded->size : images.size(2); }
  int64_t width() const { return is_encoded() ? encoded->size : images.size(3); }
  int64_t num_classes() const { return static_cast<int64_t>(classes.size()); }

  /// Pixels of samples `idx` (int64, on the images' device): (B, C, H, W) uint8.
  torch::Tensor gather(const torch::Tensor& idx) const;
  /// The samples `idx` (int64 CPU), same classes.
  ImageDataset select(const torch::Tensor& idx) const;

  /// Throws eden::Error when shapes, dtypes or label ranges are inconsistent.
  void validate(const std::string& what) const;

  /// The samples whose label is in `keep`, relabelled 0..keep.size()-1 in that order.
  ImageDataset subset_of_classes(const std::vector<int64_t>& keep) const;
};

/// A file the loader left out, and why.
struct SkippedFile {
  std::string path;
  std::string reason;
};

/// How a data set was loaded: written to run.json, skipped.txt and the start-up summary.
struct LoadReport {
  std::string format;            // "idx", "cifar-10", "cifar-100", "image-folder"
  std::string mode = "decoded";  // "decoded" (pixels in RAM) or "encoded" (files in RAM)
  std::string split;             // how train/eval were formed ("files", "folders", "val-split 0.1")
  int64_t files_seen = 0;        // candidate files found
  int64_t images_loaded = 0;
  int64_t ram_bytes = 0;  // bytes held for the training data (pixels or encoded files)
  double load_s = 0.0;    // wall time of the load
  int threads = 1;
  std::vector<SkippedFile> skipped;  // files left out (also classes, as their folder path)
  // The decoded cache of image folders (docs/data-cache.md): off | hit | written | rebuilt |
  // not-written | not-used (encoded mode); the entry's path and, for rebuilt, not-written and
  // not-used, why.
  std::string cache = "off";
  std::string cache_path;
  std::string cache_reason;
  // The load's energy (decoding is data preparation, not training): metered by the trainer's
  // meters where the caller had them; energy_source empty = not measured.
  double energy_j = 0.0;
  std::string energy_source;  // "measured", "estimated", "mixed"
  std::string energy_covers;  // the components summed
  /// Set when this run did not load the data itself but reused the load of an earlier stage
  /// of its experiment (its name); load_s is then that load's, paid once.
  std::string shared_from;
};

/// A data set with its train and evaluation splits.
struct DataSplits {
  std::string name;  // e.g. "fashion-mnist"
  ImageDataset train;
  ImageDataset test;
  LoadReport report;
};

}  // namespace eden::data
