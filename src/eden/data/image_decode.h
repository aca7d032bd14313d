// Decoding JPEG (libjpeg-turbo's TurboJPEG API) and PNG (libspng) files held in memory into RGB
// pixels. The format is decided by content, never by extension. Torch-free: the fuzzed path.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace eden::data {

enum class ImageFormat { kUnknown, kJpeg, kPng };
const char* to_string(ImageFormat f);

/// The format from the file's first bytes (JPEG SOI + marker, PNG signature).
ImageFormat sniff_image_format(const uint8_t* data, size_t size);

struct DecodeOptions {
  /// JPEG only: decode at the smallest DCT scale (1/8 .. 1) whose shorter side is still at
  /// least this many pixels; 0 = full size. Large photos then cost a fraction to decode.
  int min_short_side = 0;
  bool apply_orientation = true;          // honour EXIF orientation
  int64_t max_pixels = int64_t{1} << 28;  // refuse larger images (decompression bombs)
};

struct DecodedImage {
  int height = 0;
  int width = 0;
  std::vector<uint8_t> rgb;  // (height, width, 3) uint8
  ImageFormat format = ImageFormat::kUnknown;
  int orientation = 1;  // the EXIF orientation that was applied
};

/// Decodes any supported file into RGB: grayscale is replicated, CMYK converted, alpha dropped
/// (as PIL's convert("RGB")), 16-bit reduced to its high byte. Throws eden::Error with the
/// reason (not an image, truncated, corrupt, too large); never reads out of bounds.
DecodedImage decode_image(const uint8_t* data, size_t size, const DecodeOptions& options = {});

/// The same, into `out`, reusing its pixel buffer's capacity (no allocation per image when a
/// thread decodes many).
void decode_image(const uint8_t* data, size_t size, const DecodeOptions& options,
                  DecodedImage& out);

}  // namespace eden::data
