// The Hugging Face .safetensors format: 8-byte little-endian header length n, n bytes of JSON
// {name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__": {string: string}}, then the
// raw little-endian tensor bytes. The reader treats every file as hostile: each inconsistency is
// an eden::Error naming the file and the tensor, never an out-of-bounds read.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>

#include "eden/io/state_dict.h"

namespace eden::io {

using Metadata = std::map<std::string, std::string>;

struct Safetensors {
  TensorDict tensors;  ///< in data-offset order; contiguous CPU tensors that own their memory
  Metadata metadata;   ///< the "__metadata__" map (empty when absent)
};

/// Parses a whole safetensors file held in memory. `origin` names it in error messages.
Safetensors parse_safetensors(const uint8_t* data, size_t size,
                              const std::string& origin = "<memory>");

/// Reads `path`; throws eden::Error naming the path on any problem.
Safetensors read_safetensors(const std::string& path);

/// The bytes of a safetensors file holding `tensors` (any device or layout; written as
/// contiguous CPU data in the given order) and `metadata`. The header is padded with spaces so
/// the data starts at a multiple of 8 bytes.
std::string serialize_safetensors(const TensorDict& tensors, const Metadata& metadata = {});

/// Writes serialize_safetensors(tensors, metadata) to `path` atomically.
void write_safetensors(const std::string& path, const TensorDict& tensors,
                       const Metadata& metadata = {});

/// "F32", "BF16", ... for a dtype safetensors and LibTorch share; throws eden::Error otherwise.
std::string safetensors_dtype_name(torch::ScalarType type);

}  // namespace eden::io
