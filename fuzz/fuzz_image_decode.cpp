// libFuzzer target: arbitrary bytes through decode_image (every option) and decode_to_square, the
// path every file of an image folder takes. Only eden::Error is an acceptable way to fail.
#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "eden/data/exif_orientation.h"
#include "eden/data/image_decode.h"
#include "eden/data/image_preprocess.h"
#include "eden/util/check.h"

namespace {

using eden::data::DecodedImage;
using eden::data::DecodeOptions;

// Small enough that a hostile header costs milliseconds, not seconds, yet far above the seeds.
constexpr int64_t kMaxPixels = int64_t{1} << 22;

// An invariant the decoder promises; a violation is a bug, reported as a crash.
void require(bool cond) {
  if (!cond) __builtin_trap();
}

void check_image(const DecodedImage& img, const uint8_t* data, size_t size) {
  require(img.height > 0 && img.width > 0);
  require(int64_t{img.height} * img.width <= kMaxPixels);
  require(img.rgb.size() == static_cast<size_t>(img.height) * img.width * 3);
  require(img.format == eden::data::sniff_image_format(data, size));
  require(img.orientation >= 1 && img.orientation <= 8);
}

// decode_to_square into a buffer of exactly 3*size*size bytes, so that ASan sees any overrun.
void to_square(const uint8_t* data, size_t size, int side, bool dct_scaling,
               eden::data::ImageFormat expected) {
  std::vector<uint8_t> out(static_cast<size_t>(3) * side * side);
  try {
    require(eden::data::decode_to_square(data, size, side, out.data(), dct_scaling) == expected);
  } catch (const eden::Error&) {
    // A JPEG decoded at another DCT scale may warn differently; refusing is fine.
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  // The last byte picks the variant parameters. It is not stripped off, so the seed files are
  // fed exactly as written (for them it is the end of EOI or of IEND's CRC).
  const uint8_t knob = size > 0 ? data[size - 1] : 0;

  DecodeOptions opts;
  opts.max_pixels = kMaxPixels;
  DecodedImage full;
  try {
    full = eden::data::decode_image(data, size, opts);
  } catch (const eden::Error&) {
    return 0;  // refused with a reason: the expected outcome for most inputs
  }
  check_image(full, data, size);

  // The same bytes without orientation: identical up to the EXIF transform, and TurboJPEG /
  // libspng are deterministic, so this decode cannot fail where the first one succeeded.
  opts.apply_orientation = false;
  DecodedImage raw = eden::data::decode_image(data, size, opts);
  check_image(raw, data, size);
  require(raw.orientation == 1);
  const int raw_h = raw.height, raw_w = raw.width;
  eden::data::apply_exif_orientation(full.orientation, raw.rgb, raw.height, raw.width, 3);
  require(raw.height == full.height && raw.width == full.width && raw.rgb == full.rgb);

  // DCT-domain downscaling (JPEG only): never larger than full size, and the shorter side keeps
  // at least min_short_side pixels unless the image was smaller to begin with.
  opts.min_short_side = knob % 72;
  try {
    const DecodedImage scaled = eden::data::decode_image(data, size, opts);
    check_image(scaled, data, size);
    require(scaled.height <= raw_h && scaled.width <= raw_w);
    require(std::min(scaled.height, scaled.width) >=
            std::min(opts.min_short_side, std::min(raw_h, raw_w)));
    if (opts.min_short_side == 0 || scaled.format == eden::data::ImageFormat::kPng) {
      require(scaled.height == raw_h && scaled.width == raw_w);  // no scaling asked / possible
    }
  } catch (const eden::Error&) {
    // As in to_square: a scaled JPEG decode may hit a fatal warning the full one did not.
  }

  // decode_to_square decodes with the default pixel limit (1 << 28), so it only sees files
  // already known to be small; 7 is odd and asks for the coarse DCT scales (1/4, 1/8).
  to_square(data, size, 32, /*dct_scaling=*/true, full.format);
  to_square(data, size, 7, /*dct_scaling=*/(knob & 0x80) != 0, full.format);
  return 0;
}
