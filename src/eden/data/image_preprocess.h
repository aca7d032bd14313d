// Decode + storage transform in one call: what the pre-load runs per file, and what the
// encoded-in-RAM mode runs per batch sample. Torch-free: the fuzzed path.
#pragma once

#include <cstddef>
#include <cstdint>

#include "eden/data/image_decode.h"

namespace eden::data {

/// Decodes an encoded image and writes Resize(size) + CenterCrop(size) of it as (3, size, size)
/// uint8 to `out`. JPEGs are decoded at the smallest DCT scale that keeps the shorter side
/// >= size (PIL's draft mode), unless `dct_scaling` is false. Throws eden::Error on bad input.
ImageFormat decode_to_square(const uint8_t* data, size_t bytes, int size, uint8_t* out,
                             bool dct_scaling = true);

}  // namespace eden::data
