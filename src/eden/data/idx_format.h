// The IDX container of MNIST-family files: header validation and gzip, torch-free so that the
// fuzzer exercises exactly the code that reads users' files.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace eden::data {

/// Where the payload of an IDX image starts and what shape it has.
struct IdxLayout {
  std::vector<int64_t> shape;
  size_t header_bytes = 0;
  size_t count = 0;  // number of uint8 elements
};

/// Validates the header against the payload: magic, unsigned-byte type, rank 1..4, no
/// truncation, no trailing bytes. Throws eden::Error naming `what`.
IdxLayout parse_idx_layout(const uint8_t* data, size_t size, const std::string& what);

/// True for a gzip stream (magic 1f 8b).
bool is_gzip(const uint8_t* data, size_t size);

/// Inflates a gzip stream in memory (refusing more than 8 GiB); throws eden::Error naming `what`
/// for a corrupt or truncated stream.
std::vector<uint8_t> gunzip(const uint8_t* data, size_t size, const std::string& what);

}  // namespace eden::data
