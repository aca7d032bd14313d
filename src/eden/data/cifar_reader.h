// Reader for the binary CIFAR-10 / CIFAR-100 distributions (data_batch_*.bin + test_batch.bin,
// or train.bin + test.bin), decoded straight into contiguous (N, 3, 32, 32) uint8 tensors.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eden/data/dataset.h"

namespace eden::data {

/// True when `dir` (or its cifar-10-batches-bin / cifar-100-binary sub-folder) holds CIFAR
/// binary files.
bool is_cifar_folder(const std::filesystem::path& dir);

/// Parses the records of one CIFAR binary file: `label_bytes` = 1 (CIFAR-10) or 2 (CIFAR-100:
/// coarse then fine label; the fine one is used). Throws eden::Error naming `what` when the size
/// is not a whole number of records or a label exceeds `num_classes`.
ImageDataset parse_cifar_records(const std::vector<uint8_t>& bytes, int label_bytes,
                                 const std::vector<std::string>& classes, const std::string& what);

/// Loads the train and test splits; class names from batches.meta.txt / fine_label_names.txt
/// when present, else the published names.
DataSplits load_cifar_folder(const std::filesystem::path& dir);

}  // namespace eden::data
