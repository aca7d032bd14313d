// The persistent decoded cache of image folders: a folder's Resize + CenterCrop pixels, labels
// and splits kept on disk between runs (docs/data-cache.md), keyed by everything that decides
// them, mapped back instead of decoded again.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include "eden/data/dataset.h"

namespace eden::data {

/// Bump whenever decoding or resizing changes a pixel: every older entry then misses.
constexpr int kDecoderVersion = 1;

/// The storage transform the entries hold (image_resize.h, image_preprocess.h), part of the key.
constexpr const char* kResizeMethod =
    "torchvision Resize(S)+CenterCrop(S), antialiased bilinear, JPEG DCT-domain downscaling";

/// $EDEN_DATA_CACHE, else $XDG_CACHE_HOME/eden/data, else ~/.cache/eden/data; empty when none
/// of them can be found (no home): the cache is then off.
std::filesystem::path default_data_cache_dir();

/// The `data_cache` setting: "auto" -> default_data_cache_dir(), "off" -> empty, else the DIR.
std::filesystem::path resolve_data_cache_dir(const std::string& setting);

/// What decides an entry's content, hashed as it is fed (FNV-1a 64 names the file; a CRC32
/// and the byte count of the same text are checked against the header too).
class DecodedCacheKey {
 public:
  /// `folder_name` only names the file; the rest is hashed.
  DecodedCacheKey(std::string folder_name, int64_t image_size);

  /// Adds one "name=value" line to the key.
  void add(const std::string& name, const std::string& value);
  /// Adds a candidate file: its path relative to the folder, class, split and what stat says.
  void add_file(const std::string& relative_path, const std::string& cls, int split,
                int64_t size_bytes, int64_t mtime_ns);

  int64_t image_size() const { return image_size_; }
  std::string hex() const;  // 16 hex digits of the FNV-1a 64 hash
  uint32_t text_crc32() const { return crc_; }
  int64_t text_bytes() const { return bytes_; }
  /// "<folder-name>-<hex>.edc", the folder name reduced to [A-Za-z0-9._-].
  std::string file_name() const;

 private:
  void feed(const std::string& text);

  std::string folder_name_;
  int64_t image_size_;
  uint64_t hash_ = 0xcbf29ce484222325ULL;  // FNV-1a 64 offset basis
  uint32_t crc_ = 0;
  int64_t bytes_ = 0;
};

/// A decoded folder as an entry stores it: the pixels of the used images, train rows first.
struct DecodedFolder {
  torch::Tensor pixels;  // (n_train + n_eval, 3, S, S) uint8, contiguous
  std::vector<int64_t> train_labels;
  std::vector<int64_t> eval_labels;
  std::vector<std::string> classes;
  std::vector<SkippedFile> skipped;  // paths relative to the folder
  std::string split;                 // LoadReport::split
  int64_t files_seen = 0;
};

/// Maps `path` read-only-shared (MAP_PRIVATE: pages come from the page cache, shared by every
/// process that maps the file) and verifies the preamble, the header's CRC and key and every
/// pixel chunk's CRC (on `threads` threads). nullopt with `why` when the file is missing (`why`
/// empty) or unusable (`why` says what is wrong); never trusts a bad file.
std::optional<DecodedFolder> load_decoded_cache(const std::filesystem::path& path,
                                                const DecodedCacheKey& key, int threads,
                                                std::string& why);

/// Writes the entry atomically (a temp file opened with O_EXCL, fsync, rename over `path`,
/// fsync of the directory): readers and concurrent writers of the same entry only ever see a
/// whole file. Throws eden::Error naming the path and the reason (disk full, no permission).
void store_decoded_cache(const std::filesystem::path& path, const DecodedCacheKey& key,
                         const DecodedFolder& folder, int threads);

}  // namespace eden::data
