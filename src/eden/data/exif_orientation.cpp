// Minimal EXIF reader: walks IFD0 for the orientation tag, bounds-checked at every read.
#include "eden/data/exif_orientation.h"

#include <cstring>

namespace eden::data {
namespace {

struct TiffReader {
  const uint8_t* p;
  size_t n;
  bool little;
  bool ok(size_t off, size_t len) const { return off <= n && len <= n - off; }
  uint16_t u16(size_t off) const {
    return little ? static_cast<uint16_t>(p[off] | p[off + 1] << 8)
                  : static_cast<uint16_t>(p[off] << 8 | p[off + 1]);
  }
  uint32_t u32(size_t off) const {
    return little ? (uint32_t{p[off]} | uint32_t{p[off + 1]} << 8 | uint32_t{p[off + 2]} << 16 |
                     uint32_t{p[off + 3]} << 24)
                  : (uint32_t{p[off]} << 24 | uint32_t{p[off + 1]} << 16 |
                     uint32_t{p[off + 2]} << 8 | uint32_t{p[off + 3]});
  }
};

constexpr uint16_t kOrientationTag = 0x0112;
constexpr uint16_t kTypeShort = 3;

// Calls fn(marker, payload, payload_size) for each segment before the scan; stops when fn
// returns true.
template <typename Fn>
void for_each_jpeg_segment(const uint8_t* p, size_t n, Fn fn) {
  if (n < 4 || p[0] != 0xFF || p[1] != 0xD8) return;
  size_t off = 2;
  while (off + 4 <= n) {
    if (p[off] != 0xFF) return;
    const uint8_t marker = p[off + 1];
    if (marker == 0xFF) {  // fill byte
      ++off;
      continue;
    }
    if (marker == 0xDA || marker == 0xD9) return;  // start of scan / end of image
    const size_t len = size_t{p[off + 2]} << 8 | p[off + 3];
    if (len < 2 || len > n - off - 2) return;
    if (fn(marker, p + off + 4, len - 2)) return;
    off += 2 + len;
  }
}

}  // namespace

int exif_orientation_from_tiff(const uint8_t* tiff, size_t size) {
  if (size < 8) return 1;
  TiffReader r{tiff, size, false};
  if (std::memcmp(tiff, "II*\0", 4) == 0) {
    r.little = true;
  } else if (std::memcmp(tiff, "MM\0*", 4) != 0) {
    return 1;
  }
  const size_t ifd = r.u32(4);
  if (!r.ok(ifd, 2)) return 1;
  const size_t entries = r.u16(ifd);
  for (size_t i = 0; i < entries; ++i) {
    const size_t e = ifd + 2 + 12 * i;
    if (!r.ok(e, 12)) return 1;
    if (r.u16(e) != kOrientationTag) continue;
    if (r.u16(e + 2) != kTypeShort || r.u32(e + 4) != 1) return 1;
    const int o = r.u16(e + 8);
    return o >= 1 && o <= 8 ? o : 1;
  }
  return 1;
}

int jpeg_exif_orientation(const uint8_t* jpeg, size_t size) {
  int orientation = 1;
  for_each_jpeg_segment(jpeg, size, [&](uint8_t marker, const uint8_t* d, size_t len) {
    if (marker != 0xE1 || len < 6 || std::memcmp(d, "Exif\0\0", 6) != 0) return false;
    orientation = exif_orientation_from_tiff(d + 6, len - 6);
    return true;
  });
  return orientation;
}

bool jpeg_has_adobe_marker(const uint8_t* jpeg, size_t size) {
  bool adobe = false;
  for_each_jpeg_segment(jpeg, size, [&](uint8_t marker, const uint8_t* d, size_t len) {
    adobe = marker == 0xEE && len >= 5 && std::memcmp(d, "Adobe", 5) == 0;
    return adobe;
  });
  return adobe;
}

void apply_exif_orientation(int o, std::vector<uint8_t>& pixels, int& height, int& width,
                            int channels) {
  if (o <= 1 || o > 8) return;
  const int h = height, w = width, c = channels;
  const bool transpose = o >= 5;
  const int oh = transpose ? w : h, ow = transpose ? h : w;
  std::vector<uint8_t> out(pixels.size());
  // For each output pixel (y, x), the source pixel it shows; EXIF 2.32, tag 0x0112.
  for (int y = 0; y < oh; ++y) {
    for (int x = 0; x < ow; ++x) {
      int sy = 0, sx = 0;
      switch (o) {
        case 2:
          sy = y;
          sx = w - 1 - x;
          break;  // mirror horizontal
        case 3:
          sy = h - 1 - y;
          sx = w - 1 - x;
          break;  // rotate 180
        case 4:
          sy = h - 1 - y;
          sx = x;
          break;  // mirror vertical
        case 5:
          sy = x;
          sx = y;
          break;  // transpose
        case 6:
          sy = h - 1 - x;
          sx = y;
          break;  // rotate 90 clockwise
        case 7:
          sy = h - 1 - x;
          sx = w - 1 - y;
          break;  // transverse
        default:
          sy = x;
          sx = w - 1 - y;
          break;  // 8: rotate 90 counter-clockwise
      }
      std::memcpy(&out[(static_cast<size_t>(y) * ow + x) * c],
                  &pixels[(static_cast<size_t>(sy) * w + sx) * c], c);
    }
  }
  pixels.swap(out);
  height = oh;
  width = ow;
}

}  // namespace eden::data
