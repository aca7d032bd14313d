// Reader for the IDX format of MNIST / Fashion-MNIST (gzip'd or raw), decoded straight into
// contiguous tensors.
#pragma once

#include <torch/torch.h>

#include <filesystem>
#include <string>
#include <vector>

#include "eden/data/dataset.h"

namespace eden::data {

/// Reads one IDX file of unsigned bytes (type 0x08) into a uint8 tensor of its stored shape.
/// Gzip is detected by content. Throws eden::Error naming the file for a bad magic number,
/// a wrong type, a truncated payload or trailing garbage.
torch::Tensor read_idx_file(const std::filesystem::path& path);

/// Parses an IDX image from memory (used by read_idx_file and by the fuzzer).
torch::Tensor parse_idx(const std::vector<uint8_t>& bytes, const std::string& what);

/// Loads an images + labels pair into an ImageDataset with 1 channel.
ImageDataset load_idx_split(const std::filesystem::path& images_path,
                            const std::filesystem::path& labels_path,
                            std::vector<std::string> classes);

/// Loads `train-*` and `t10k-*` files from `dir` (the layout of MNIST and Fashion-MNIST).
/// Class names are Fashion-MNIST's when the folder name says "fashion", else "0".."9".
DataSplits load_mnist_folder(const std::filesystem::path& dir);

/// The Fashion-MNIST class names, in label order.
const std::vector<std::string>& fashion_mnist_classes();

/// The folder Debian's dataset-fashion-mnist package installs.
inline constexpr const char* kDefaultFashionMnistDir = "/usr/share/datasets/fashion-mnist";

}  // namespace eden::data
