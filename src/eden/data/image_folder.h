// Class-folder trees of JPEG/PNG files (torchvision's ImageFolder layout, the card's
// Custom-ImageNet300): scanned, decoded once in parallel into RAM (or kept encoded in RAM when
// the decoded set would not fit), with every unusable file skipped, counted and listed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>

#include "eden/data/dataset.h"

namespace eden::data {

struct ImageFolderOptions {
  int64_t image_size = 224;         // stored side: Resize(S) + CenterCrop(S)
  double val_split = 0.1;           // stratified hold-out when there is no train/val sub-tree
  uint64_t seed = 0;                // of the hold-out draw
  int64_t limit_per_class = 0;      // keep the first N files (sorted) of each class folder; 0 = all
  int64_t memory_budget_bytes = 0;  // decoded pixels above this -> encoded mode; 0 = auto
  bool strict = false;              // any skipped file or class is an error
  int threads = 0;                  // decoding threads; 0 = every usable core
  bool pinned = false;              // allocate the decoded tensor in page-locked memory (CUDA)
  bool progress = true;             // live bar when stderr is a terminal
  // The decoded cache (decoded_cache.h, docs/data-cache.md): empty = off. Entries are looked up
  // in `cache_dir` before decoding and, when `cache_store`, written there after.
  std::filesystem::path cache_dir;
  bool cache_store = true;  // false: look up only (a data-parallel run's other ranks)
};

/// True when `dir` has sub-folders but none of the MNIST or CIFAR files.
bool is_image_folder(const std::filesystem::path& dir);

/// Loads DIR/<class>/... (split by `val_split`) or DIR/train/<class>/... with
/// DIR/{val,validation,test}/<class>/.... Class index = position in the sorted names of the
/// classes that have images. Throws eden::Error for no images, fewer than two classes, a budget
/// even the encoded files exceed, or (with `strict`) any skip. A cache that cannot be read or
/// written never fails the load: the report says what happened (LoadReport::cache).
DataSplits load_image_folder(const std::filesystem::path& dir, const ImageFolderOptions& options);

/// "auto" -> 0, "512M", "16G", "1.5T", or plain bytes; throws eden::Error for anything else.
int64_t parse_memory_size(const std::string& text);

/// The automatic budget: 60% of the RAM available now.
int64_t default_memory_budget();

}  // namespace eden::data
