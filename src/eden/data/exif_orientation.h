// EXIF orientation (tag 0x0112) from a JPEG's APP1 segment or a PNG's eXIf chunk, and the pixel
// transform it asks for. Torch-free: part of the fuzzed decode path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace eden::data {

/// Orientation 1..8 from TIFF-structured EXIF data (starting at "II*\0" or "MM\0*");
/// 1 (as stored) when absent or unreadable: a broken EXIF block never fails a decode.
int exif_orientation_from_tiff(const uint8_t* tiff, size_t size);

/// Orientation from the APP1 "Exif\0\0" segment of a JPEG stream; 1 when there is none.
int jpeg_exif_orientation(const uint8_t* jpeg, size_t size);

/// True when the JPEG stream has an Adobe APP14 segment (its CMYK samples are stored inverted).
bool jpeg_has_adobe_marker(const uint8_t* jpeg, size_t size);

/// Applies orientation `o` to an (H, W, C) uint8 image in place; swaps `height` and `width` for
/// the orientations that transpose (5..8).
void apply_exif_orientation(int o, std::vector<uint8_t>& pixels, int& height, int& width,
                            int channels);

}  // namespace eden::data
