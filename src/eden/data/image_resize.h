// The storage transform of image folders: resize the shorter side to S, then centre-crop S x S,
// exactly as torchvision's Resize(S) + CenterCrop(S) on a PIL image (same antialiased bilinear
// filter, same fixed-point rounding). Torch-free: part of the fuzzed decode path.
#pragma once

#include <cstdint>

namespace eden::data {

/// (height, width, 3) uint8 in -> (3, size, size) uint8 planar out (`out` holds 3*size*size).
void resize_center_crop(const uint8_t* rgb, int height, int width, int size, uint8_t* out);

/// The shape torchvision's Resize(size) gives: shorter side = size, longer side scaled and
/// truncated. Returns {height, width}.
struct Extent {
  int height;
  int width;
};
Extent resized_extent(int height, int width, int size);

}  // namespace eden::data
