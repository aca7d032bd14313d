// JPEG via TurboJPEG (DCT-domain downscaling, CMYK), PNG via libspng (every colour type and
// depth), both with size limits checked before any pixel buffer is allocated.
#include "eden/data/image_decode.h"

#include <spng.h>
#include <turbojpeg.h>

#include <cstring>
#include <memory>

#include "eden/data/exif_orientation.h"
#include "eden/util/check.h"

namespace eden::data {
namespace {

constexpr int kMaxSide = 1 << 16;

void check_dimensions(int width, int height, const DecodeOptions& o, const char* what) {
  EDEN_CHECK(width > 0 && height > 0 && width <= kMaxSide && height <= kMaxSide, what,
             ": implausible size ", width, "x", height);
  EDEN_CHECK(int64_t{width} * height <= o.max_pixels, what, ": ", width, "x", height,
             " pixels exceeds the limit of ", o.max_pixels, " (decompression bomb?)");
}

struct TjDeleter {
  void operator()(void* h) const { tjDestroy(h); }
};

// libjpeg warnings (JWRN_* in jerror.h) that still leave a complete, correct image: stray bytes
// between markers, unknown JFIF/Adobe details, odd progression. Everything else (truncation,
// "bad Huffman code" and other corrupt entropy data) leaves grey or garbage pixels: refused.
bool is_tolerated_warning(const std::string& m) {
  auto starts = [&](const char* p) { return m.rfind(p, 0) == 0; };
  if (starts("Corrupt JPEG data: "))
    return m.find("extraneous bytes before marker") != std::string::npos;
  return starts("Unknown Adobe color transform code") ||
         starts("Inconsistent progression sequence") || starts("Warning: unknown JFIF revision") ||
         starts("Invalid SOS parameters for sequential JPEG");
}

void decode_jpeg(const uint8_t* data, size_t size, const DecodeOptions& o, DecodedImage& img) {
  std::unique_ptr<void, TjDeleter> tj(tjInitDecompress());
  EDEN_CHECK(tj != nullptr, "JPEG: cannot create a TurboJPEG decompressor");
  int width = 0, height = 0, subsamp = 0, colorspace = 0;
  EDEN_CHECK(tjDecompressHeader3(tj.get(), data, static_cast<unsigned long>(size), &width, &height,
                                 &subsamp, &colorspace) == 0,
             "JPEG: bad header (", tjGetErrorStr2(tj.get()), ")");
  check_dimensions(width, height, o, "JPEG");

  // The smallest scale that keeps the shorter side >= min_short_side.
  tjscalingfactor best{1, 1};
  if (o.min_short_side > 0) {
    int count = 0;
    const tjscalingfactor* factors = tjGetScalingFactors(&count);
    const int short_side = std::min(width, height);
    for (int i = 0; i < count; ++i) {
      const auto f = factors[i];
      if (f.num > f.denom) continue;
      if (TJSCALED(short_side, f) >= o.min_short_side && f.num * best.denom < best.num * f.denom) {
        best = f;
      }
    }
  }
  const int sw = TJSCALED(width, best), sh = TJSCALED(height, best);
  const bool cmyk = colorspace == TJCS_CMYK || colorspace == TJCS_YCCK;
  const int pf = cmyk ? TJPF_CMYK : TJPF_RGB;
  const int bpp = tjPixelSize[pf];
  // RGB decodes straight into the output; CMYK into a scratch buffer, converted below.
  thread_local std::vector<uint8_t> cmyk_buf;
  std::vector<uint8_t>& buf = cmyk ? cmyk_buf : img.rgb;
  buf.resize(static_cast<size_t>(sw) * sh * bpp);
  // Pass 1 stops at the first warning, so its message is the first problem (TurboJPEG keeps
  // only the last message, and reports TJERR_WARNING even for a fatal error after a warning).
  auto decode = [&](int flags) {
    return tjDecompress2(tj.get(), data, static_cast<unsigned long>(size), buf.data(), sw, 0, sh,
                         pf, TJFLAG_ACCURATEDCT | flags);
  };
  if (decode(TJFLAG_STOPONWARNING) != 0) {
    std::string msg = tjGetErrorStr2(tj.get());
    EDEN_CHECK(tjGetErrorCode(tj.get()) == TJERR_WARNING && is_tolerated_warning(msg),
               "JPEG: corrupt or truncated data (", msg, ")");
    // A tolerated warning: decode to the end; the last message must be a tolerated one too.
    if (decode(0) != 0) {
      msg = tjGetErrorStr2(tj.get());
      EDEN_CHECK(is_tolerated_warning(msg), "JPEG: corrupt or truncated data (", msg, ")");
    }
  }

  img.format = ImageFormat::kJpeg;
  img.orientation = 1;
  img.height = sh;
  img.width = sw;
  if (cmyk) {
    // Adobe-marked files store inverted CMYK; then R = C*K/255 (TurboJPEG's and PIL's model).
    const bool inverted = jpeg_has_adobe_marker(data, size);
    img.rgb.resize(static_cast<size_t>(sw) * sh * 3);
    for (size_t i = 0, n = static_cast<size_t>(sw) * sh; i < n; ++i) {
      const uint8_t* s = &buf[i * 4];
      const int k = inverted ? s[3] : 255 - s[3];
      for (int ch = 0; ch < 3; ++ch) {
        const int c = inverted ? s[ch] : 255 - s[ch];
        img.rgb[i * 3 + ch] = static_cast<uint8_t>((c * k + 127) / 255);
      }
    }
  }
  if (o.apply_orientation) {
    img.orientation = jpeg_exif_orientation(data, size);
    apply_exif_orientation(img.orientation, img.rgb, img.height, img.width, 3);
  }
}

struct SpngDeleter {
  void operator()(spng_ctx* c) const { spng_ctx_free(c); }
};

void decode_png(const uint8_t* data, size_t size, const DecodeOptions& o, DecodedImage& img) {
  std::unique_ptr<spng_ctx, SpngDeleter> ctx(spng_ctx_new(0));
  EDEN_CHECK(ctx != nullptr, "PNG: cannot create a libspng context");
  spng_set_image_limits(ctx.get(), kMaxSide, kMaxSide);
  spng_set_chunk_limits(ctx.get(), 1 << 24, 1 << 26);  // ancillary chunk / cache bytes
  spng_set_crc_action(ctx.get(), SPNG_CRC_ERROR, SPNG_CRC_ERROR);
  int rc = spng_set_png_buffer(ctx.get(), data, size);
  EDEN_CHECK(rc == 0, "PNG: ", spng_strerror(rc));
  spng_ihdr ihdr{};
  rc = spng_get_ihdr(ctx.get(), &ihdr);
  EDEN_CHECK(rc == 0, "PNG: bad header (", spng_strerror(rc), ")");
  check_dimensions(static_cast<int>(ihdr.width), static_cast<int>(ihdr.height), o, "PNG");

  size_t out_size = 0;
  rc = spng_decoded_image_size(ctx.get(), SPNG_FMT_RGB8, &out_size);
  EDEN_CHECK(rc == 0, "PNG: ", spng_strerror(rc));
  img.format = ImageFormat::kPng;
  img.orientation = 1;
  img.height = static_cast<int>(ihdr.height);
  img.width = static_cast<int>(ihdr.width);
  EDEN_ASSERT(out_size == static_cast<size_t>(img.width) * img.height * 3, "RGB8 size");
  img.rgb.resize(out_size);
  // RGB8 drops alpha and tRNS (as PIL's convert("RGB")), expands palette and gray, and keeps
  // the high byte of 16-bit samples. No gamma correction, as PIL.
  rc = spng_decode_image(ctx.get(), img.rgb.data(), out_size, SPNG_FMT_RGB8, 0);
  EDEN_CHECK(rc == 0, "PNG: corrupt or truncated data (", spng_strerror(rc), ")");
  if (o.apply_orientation) {
    spng_exif exif{};
    if (spng_get_exif(ctx.get(), &exif) == 0 && exif.data != nullptr) {
      img.orientation =
          exif_orientation_from_tiff(reinterpret_cast<const uint8_t*>(exif.data), exif.length);
      apply_exif_orientation(img.orientation, img.rgb, img.height, img.width, 3);
    }
  }
}

}  // namespace

const char* to_string(ImageFormat f) {
  switch (f) {
    case ImageFormat::kJpeg:
      return "jpeg";
    case ImageFormat::kPng:
      return "png";
    default:
      return "unknown";
  }
}

ImageFormat sniff_image_format(const uint8_t* data, size_t size) {
  static const uint8_t kPngSig[8] = {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n'};
  if (size >= 8 && std::memcmp(data, kPngSig, 8) == 0) return ImageFormat::kPng;
  if (size >= 3 && data[0] == 0xFF && data[1] == 0xD8 && data[2] == 0xFF) return ImageFormat::kJpeg;
  return ImageFormat::kUnknown;
}

void decode_image(const uint8_t* data, size_t size, const DecodeOptions& options,
                  DecodedImage& out) {
  switch (sniff_image_format(data, size)) {
    case ImageFormat::kJpeg:
      return decode_jpeg(data, size, options, out);
    case ImageFormat::kPng:
      return decode_png(data, size, options, out);
    default:
      break;
  }
  EDEN_CHECK(false, "not a JPEG or PNG file (", size == 0 ? "empty" : "unrecognised content", ")");
}

DecodedImage decode_image(const uint8_t* data, size_t size, const DecodeOptions& options) {
  DecodedImage img;
  decode_image(data, size, options, img);
  return img;
}

}  // namespace eden::data
