// Encoders for test images of every kind the image-folder reader accepts (JPEG baseline,
// progressive, grayscale, CMYK, EXIF-oriented; PNG 8/16-bit, gray, palette, alpha). Torch-free:
// also used to build the fuzzers' seed corpus.
#pragma once

#include <spng.h>
#include <turbojpeg.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <vector>

namespace eden::testing {

/// (h, w, 3) uint8 with smooth gradients, a few shapes and mild noise: compresses like a photo.
inline std::vector<uint8_t> photo_like_rgb(int h, int w, uint32_t seed) {
  std::vector<uint8_t> px(static_cast<size_t>(h) * w * 3);
  uint32_t state = seed * 2654435761u + 1;
  auto noise = [&] {
    state = state * 1664525u + 1013904223u;
    return static_cast<int>(state >> 29) - 4;
  };
  const double cx = w * (0.3 + 0.4 * ((seed * 7) % 10) / 10.0), cy = h * 0.5;
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const double r = std::hypot(x - cx, y - cy) / std::max(h, w);
      const bool disc = r < 0.2;
      int v[3] = {static_cast<int>(255.0 * x / w), static_cast<int>(255.0 * y / h),
                  static_cast<int>(128 + 100 * std::sin(0.05 * (x + y) + seed))};
      if (disc) v[(seed % 3)] = 230;
      for (int c = 0; c < 3; ++c) {
        const int n = std::min(255, std::max(0, v[c] + noise()));
        px[(static_cast<size_t>(y) * w + x) * 3 + c] = static_cast<uint8_t>(n);
      }
    }
  }
  return px;
}

/// A flat (h, w, 3) image of one colour.
inline std::vector<uint8_t> solid_rgb(int h, int w, uint8_t r, uint8_t g, uint8_t b) {
  std::vector<uint8_t> px(static_cast<size_t>(h) * w * 3);
  for (size_t i = 0; i < px.size(); i += 3) {
    px[i] = r;
    px[i + 1] = g;
    px[i + 2] = b;
  }
  return px;
}

enum class JpegKind { kBaseline, kProgressive, kGray, kCmyk };

/// Encodes (h, w, 3) RGB as JPEG. kGray stores the green channel as luma; kCmyk stores Adobe
/// (inverted) CMYK chosen so that R = C*K/255 reproduces the input.
inline std::vector<uint8_t> encode_jpeg(const std::vector<uint8_t>& rgb, int h, int w,
                                        JpegKind kind = JpegKind::kBaseline, int quality = 95) {
  tjhandle tj = tjInitCompress();
  std::vector<uint8_t> src;
  int pf = TJPF_RGB, subsamp = TJSAMP_444;
  int flags = kind == JpegKind::kProgressive ? TJFLAG_PROGRESSIVE : 0;
  if (kind == JpegKind::kGray) {
    pf = TJPF_GRAY;
    subsamp = TJSAMP_GRAY;
    for (size_t i = 0; i < rgb.size(); i += 3) src.push_back(rgb[i + 1]);
  } else if (kind == JpegKind::kCmyk) {
    pf = TJPF_CMYK;
    for (size_t i = 0; i < rgb.size(); i += 3) {
      const int k = std::max({rgb[i], rgb[i + 1], rgb[i + 2], uint8_t{1}});
      for (int c = 0; c < 3; ++c)
        src.push_back(static_cast<uint8_t>((rgb[i + c] * 255 + k / 2) / k));
      src.push_back(static_cast<uint8_t>(k));
    }
  } else {
    src = rgb;
  }
  unsigned char* out = nullptr;
  unsigned long size = 0;
  if (tjCompress2(tj, src.data(), w, 0, h, pf, &out, &size, subsamp, quality, flags) != 0) {
    const std::string msg = tjGetErrorStr2(tj);
    tjDestroy(tj);
    throw std::runtime_error("test JPEG encode failed: " + msg);
  }
  std::vector<uint8_t> jpeg(out, out + size);
  tjFree(out);
  tjDestroy(tj);
  return jpeg;
}

/// A TIFF block (little-endian) whose IFD0 holds only the orientation tag.
inline std::vector<uint8_t> exif_tiff(int orientation) {
  return {'I',
          'I',
          42,
          0,
          8,
          0,
          0,
          0,  // header, IFD0 at 8
          1,
          0,  // one entry
          0x12,
          0x01,
          3,
          0,
          1,
          0,
          0,
          0,  // tag 0x0112, SHORT, count 1
          static_cast<uint8_t>(orientation),
          0,
          0,
          0,  // value
          0,
          0,
          0,
          0};  // no next IFD
}

/// Inserts an APP1 "Exif" segment with `orientation` right after the JPEG's SOI marker.
inline std::vector<uint8_t> with_exif_orientation(const std::vector<uint8_t>& jpeg,
                                                  int orientation) {
  std::vector<uint8_t> payload = {'E', 'x', 'i', 'f', 0, 0};
  const auto tiff = exif_tiff(orientation);
  payload.insert(payload.end(), tiff.begin(), tiff.end());
  const size_t len = payload.size() + 2;
  std::vector<uint8_t> out(jpeg.begin(), jpeg.begin() + 2);
  out.insert(out.end(), {0xFF, 0xE1, static_cast<uint8_t>(len >> 8), static_cast<uint8_t>(len)});
  out.insert(out.end(), payload.begin(), payload.end());
  out.insert(out.end(), jpeg.begin() + 2, jpeg.end());
  return out;
}

enum class PngKind { kRgb8, kRgba8, kGray8, kGray16, kRgb16, kPalette, kPaletteAlpha, kGray1 };

/// Encodes (h, w, 3) RGB as PNG of `kind`. What decoding to RGB must give back: kRgb8/kRgba8
/// exactly the input; kGray8/kGray16 the green channel replicated; kRgb16 the input (stored as
/// v*257, high byte = v); kPalette* the input (which must have at most 256 colours); kGray1 the
/// green channel thresholded at 128 (0 or 255). `exif_orientation` > 0 adds an eXIf chunk.
inline std::vector<uint8_t> encode_png(const std::vector<uint8_t>& rgb, int h, int w, PngKind kind,
                                       int exif_orientation = 0) {
  spng_ctx* ctx = spng_ctx_new(SPNG_CTX_ENCODER);
  spng_set_option(ctx, SPNG_ENCODE_TO_BUFFER, 1);
  spng_ihdr ihdr{};
  ihdr.width = static_cast<uint32_t>(w);
  ihdr.height = static_cast<uint32_t>(h);
  std::vector<uint8_t> img;
  spng_plte plte{};  // palette kinds only
  spng_trns trns{};
  const size_t n = static_cast<size_t>(h) * w;
  switch (kind) {
    case PngKind::kRgb8:
      ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR, ihdr.bit_depth = 8, img = rgb;
      break;
    case PngKind::kRgba8:
      ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR_ALPHA, ihdr.bit_depth = 8;
      for (size_t i = 0; i < n; ++i) {
        img.insert(img.end(),
                   {rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], static_cast<uint8_t>(i * 7)});
      }
      break;
    case PngKind::kGray8:
      ihdr.color_type = SPNG_COLOR_TYPE_GRAYSCALE, ihdr.bit_depth = 8;
      for (size_t i = 0; i < n; ++i) img.push_back(rgb[3 * i + 1]);
      break;
    case PngKind::kGray16:
      ihdr.color_type = SPNG_COLOR_TYPE_GRAYSCALE, ihdr.bit_depth = 16;
      for (size_t i = 0; i < n; ++i)
        img.insert(img.end(), {rgb[3 * i + 1], 0x5A});  // SPNG_FMT_RAW: big-endian
      break;
    case PngKind::kRgb16:
      ihdr.color_type = SPNG_COLOR_TYPE_TRUECOLOR, ihdr.bit_depth = 16;
      for (size_t i = 0; i < 3 * n; ++i) img.insert(img.end(), {rgb[i], rgb[i]});
      break;
    case PngKind::kGray1: {
      ihdr.color_type = SPNG_COLOR_TYPE_GRAYSCALE, ihdr.bit_depth = 1;
      const size_t stride = (static_cast<size_t>(w) + 7) / 8;
      img.assign(stride * h, 0);
      for (int y = 0; y < h; ++y) {
        for (int x = 0; x < w; ++x) {
          if (rgb[(static_cast<size_t>(y) * w + x) * 3 + 1] >= 128) {
            img[y * stride + x / 8] |= static_cast<uint8_t>(0x80 >> (x % 8));
          }
        }
      }
      break;
    }
    case PngKind::kPalette:
    case PngKind::kPaletteAlpha: {
      ihdr.color_type = SPNG_COLOR_TYPE_INDEXED, ihdr.bit_depth = 8;
      for (size_t i = 0; i < n; ++i) {
        uint32_t k = 0;
        while (k < plte.n_entries &&
               !(plte.entries[k].red == rgb[3 * i] && plte.entries[k].green == rgb[3 * i + 1] &&
                 plte.entries[k].blue == rgb[3 * i + 2])) {
          ++k;
        }
        if (k == plte.n_entries) {
          if (k == 256) throw std::runtime_error("test PNG: more than 256 colours for a palette");
          plte.entries[k] = {rgb[3 * i], rgb[3 * i + 1], rgb[3 * i + 2], 0};
          ++plte.n_entries;
        }
        img.push_back(static_cast<uint8_t>(k));
      }
      if (kind == PngKind::kPaletteAlpha) {
        trns.n_type3_entries = plte.n_entries;
        for (uint32_t k = 0; k < plte.n_entries; ++k)
          trns.type3_alpha[k] = static_cast<uint8_t>(k * 40);
      }
      break;
    }
  }
  spng_set_ihdr(ctx, &ihdr);  // before PLTE and tRNS, which it validates
  if (plte.n_entries > 0) spng_set_plte(ctx, &plte);
  if (trns.n_type3_entries > 0) spng_set_trns(ctx, &trns);
  std::vector<char> exif_bytes;
  if (exif_orientation > 0) {
    const auto tiff = exif_tiff(exif_orientation);
    exif_bytes.assign(tiff.begin(), tiff.end());
    spng_exif exif{};
    exif.length = exif_bytes.size();
    exif.data = exif_bytes.data();
    spng_set_exif(ctx, &exif);
  }
  int rc = spng_encode_image(ctx, img.data(), img.size(), SPNG_FMT_RAW, SPNG_ENCODE_FINALIZE);
  size_t size = 0;
  void* buf = rc == 0 ? spng_get_png_buffer(ctx, &size, &rc) : nullptr;
  spng_ctx_free(ctx);
  if (buf == nullptr)
    throw std::runtime_error(std::string("test PNG encode failed: ") + spng_strerror(rc));
  std::vector<uint8_t> png(static_cast<uint8_t*>(buf), static_cast<uint8_t*>(buf) + size);
  std::free(buf);
  return png;
}

inline void write_bytes(const std::string& path, const std::vector<uint8_t>& bytes) {
  std::FILE* f = std::fopen(path.c_str(), "wb");
  if (f == nullptr) throw std::runtime_error("cannot write " + path);
  std::fwrite(bytes.data(), 1, bytes.size(), f);
  std::fclose(f);
}

}  // namespace eden::testing
