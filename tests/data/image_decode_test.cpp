// Image decoding: every JPEG and PNG kind the reader promises decodes to the pixels that were
// encoded (exactly where the format is lossless), EXIF orientation is applied as the standard
// says, the format comes from content, and bad bytes give an error, never a crash.
#include <gtest/gtest.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "../common/image_files.h"
#include "eden/data/exif_orientation.h"
#include "eden/data/image_decode.h"
#include "eden/util/check.h"

using namespace eden::data;
using namespace eden::testing;

namespace {

constexpr int kH = 37, kW = 53;  // odd sizes: no accidental alignment

DecodedImage decode(const std::vector<uint8_t>& b, DecodeOptions o = {}) {
  return decode_image(b.data(), b.size(), o);
}

double mean_abs_diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  EXPECT_EQ(a.size(), b.size());
  double s = 0;
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) s += std::abs(a[i] - b[i]);
  return s / static_cast<double>(a.size());
}

std::vector<uint8_t> green_replicated(const std::vector<uint8_t>& rgb) {
  std::vector<uint8_t> out(rgb.size());
  for (size_t i = 0; i < rgb.size(); i += 3) out[i] = out[i + 1] = out[i + 2] = rgb[i + 1];
  return out;
}

// 16 colours in 4x4 blocks: survives JPEG and lets a palette hold it.
std::vector<uint8_t> blocks_rgb(int h, int w) {
  std::vector<uint8_t> px(static_cast<size_t>(h) * w * 3);
  for (int y = 0; y < h; ++y) {
    for (int x = 0; x < w; ++x) {
      const int k = (y * 4 / h) * 4 + (x * 4 / w);
      uint8_t* p = &px[(static_cast<size_t>(y) * w + x) * 3];
      p[0] = static_cast<uint8_t>(k * 16);
      p[1] = static_cast<uint8_t>(255 - k * 16);
      p[2] = static_cast<uint8_t>((k % 4) * 80);
    }
  }
  return px;
}

}  // namespace

TEST(ImageFormat, DecidedByContentNotName) {
  const auto rgb = photo_like_rgb(kH, kW, 1);
  const auto jpg = encode_jpeg(rgb, kH, kW);
  const auto png = encode_png(rgb, kH, kW, PngKind::kRgb8);
  EXPECT_EQ(sniff_image_format(jpg.data(), jpg.size()), ImageFormat::kJpeg);
  EXPECT_EQ(sniff_image_format(png.data(), png.size()), ImageFormat::kPng);
  const std::string text = "hello, not an image";
  EXPECT_EQ(sniff_image_format(reinterpret_cast<const uint8_t*>(text.data()), text.size()),
            ImageFormat::kUnknown);
  EXPECT_EQ(sniff_image_format(nullptr, 0), ImageFormat::kUnknown);
}

TEST(JpegDecode, BaselineAndProgressiveMatchTheSource) {
  const auto rgb = photo_like_rgb(kH, kW, 2);
  for (auto kind : {JpegKind::kBaseline, JpegKind::kProgressive}) {
    const auto img = decode(encode_jpeg(rgb, kH, kW, kind, 95));
    EXPECT_EQ(img.format, ImageFormat::kJpeg);
    ASSERT_EQ(img.height, kH);
    ASSERT_EQ(img.width, kW);
    EXPECT_LT(mean_abs_diff(img.rgb, rgb), 3.0);  // quality 95: a few levels of JPEG error
  }
}

TEST(JpegDecode, ProgressiveIsReallyProgressive) {
  const auto jpg = encode_jpeg(photo_like_rgb(kH, kW, 3), kH, kW, JpegKind::kProgressive);
  bool sof2 = false;  // progressive DCT frame marker
  for (size_t i = 0; i + 1 < jpg.size(); ++i) sof2 |= jpg[i] == 0xFF && jpg[i + 1] == 0xC2;
  EXPECT_TRUE(sof2);
}

TEST(JpegDecode, GrayscaleIsReplicatedToRgb) {
  const auto rgb = photo_like_rgb(kH, kW, 4);
  const auto img = decode(encode_jpeg(rgb, kH, kW, JpegKind::kGray, 95));
  ASSERT_EQ(img.rgb.size(), rgb.size());
  for (size_t i = 0; i < img.rgb.size(); i += 3) {
    ASSERT_EQ(img.rgb[i], img.rgb[i + 1]);
    ASSERT_EQ(img.rgb[i], img.rgb[i + 2]);
  }
  EXPECT_LT(mean_abs_diff(img.rgb, green_replicated(rgb)), 3.0);
}

TEST(JpegDecode, AdobeCmykIsConvertedToRgb) {
  const auto rgb = blocks_rgb(32, 48);
  const auto jpg = encode_jpeg(rgb, 32, 48, JpegKind::kCmyk, 98);
  EXPECT_TRUE(jpeg_has_adobe_marker(jpg.data(), jpg.size()));
  const auto img = decode(jpg);
  EXPECT_LT(mean_abs_diff(img.rgb, rgb), 4.0);
}

TEST(JpegDecode, DctScalingKeepsTheShorterSideAtLeastTheTarget) {
  const auto rgb = photo_like_rgb(300, 520, 5);
  const auto jpg = encode_jpeg(rgb, 300, 520);
  DecodeOptions o;
  o.min_short_side = 100;  // 300 * 3/8 = 112.5 -> 113 is the smallest scale >= 100
  const auto img = decode(jpg, o);
  EXPECT_EQ(img.height, 113);
  EXPECT_EQ(img.width, 195);
  o.min_short_side = 300;  // nothing smaller fits: full size
  EXPECT_EQ(decode(jpg, o).height, 300);
}

TEST(PngDecode, EveryColourTypeAndDepth) {
  const auto rgb = blocks_rgb(kH, kW);
  struct Case {
    PngKind kind;
    std::vector<uint8_t> expected;
  };
  std::vector<uint8_t> gray1(rgb.size());
  for (size_t i = 0; i < rgb.size(); i += 3) {
    gray1[i] = gray1[i + 1] = gray1[i + 2] = rgb[i + 1] >= 128 ? 255 : 0;
  }
  const Case cases[] = {
      {PngKind::kRgb8, rgb},
      {PngKind::kRgba8, rgb},  // alpha dropped, as PIL
      {PngKind::kGray8, green_replicated(rgb)},
      {PngKind::kGray16, green_replicated(rgb)},
      {PngKind::kRgb16, rgb},
      {PngKind::kPalette, rgb},
      {PngKind::kPaletteAlpha, rgb},
      {PngKind::kGray1, gray1},
  };
  for (const auto& c : cases) {
    SCOPED_TRACE(static_cast<int>(c.kind));
    const auto img = decode(encode_png(rgb, kH, kW, c.kind));
    EXPECT_EQ(img.format, ImageFormat::kPng);
    ASSERT_EQ(img.height, kH);
    ASSERT_EQ(img.width, kW);
    EXPECT_EQ(img.rgb, c.expected);  // lossless: exact
  }
}

// Orientation o: where the top-left stored pixel ends up, per EXIF 2.32 (PIL's exif_transpose).
TEST(ExifOrientation, AllEightOrientationsOnJpegAndPng) {
  const int h = 32, w = 48;
  auto rgb = solid_rgb(h, w, 0, 0, 0);
  auto paint = [&](int y0, int x0, uint8_t r, uint8_t g, uint8_t b) {  // 8x8 block
    for (int y = y0; y < y0 + 8; ++y) {
      for (int x = x0; x < x0 + 8; ++x) {
        uint8_t* p = &rgb[(static_cast<size_t>(y) * w + x) * 3];
        p[0] = r, p[1] = g, p[2] = b;
      }
    }
  };
  paint(0, 0, 255, 0, 0);      // stored top-left: red
  paint(0, w - 8, 0, 255, 0);  // stored top-right: green
  struct Expect {
    int o, height, width;
    int red_y, red_x, green_y, green_x;  // block centres after the transform (corners)
  };
  const int H = h - 4, W = w - 4, HT = w - 4, WT = h - 4;  // far-corner block centres
  const Expect expect[] = {
      {1, h, w, 4, 4, 4, W},    {2, h, w, 4, W, 4, 4},  {3, h, w, H, W, H, 4},
      {4, h, w, H, 4, H, W},    {5, w, h, 4, 4, HT, 4}, {6, w, h, 4, WT, HT, WT},
      {7, w, h, HT, WT, 4, WT}, {8, w, h, HT, 4, 4, 4},
  };
  const auto jpg = encode_jpeg(rgb, h, w);
  for (const auto& e : expect) {
    SCOPED_TRACE(e.o);
    for (int png = 0; png < 2; ++png) {
      const auto bytes =
          png ? encode_png(rgb, h, w, PngKind::kRgb8, e.o) : with_exif_orientation(jpg, e.o);
      const auto img = decode(bytes);
      EXPECT_EQ(img.orientation, e.o);
      ASSERT_EQ(img.height, e.height);
      ASSERT_EQ(img.width, e.width);
      auto at = [&](int y, int x, int c) {
        return img.rgb[(static_cast<size_t>(y) * img.width + x) * 3 + c];
      };
      EXPECT_GT(at(e.red_y, e.red_x, 0), 200);
      EXPECT_LT(at(e.red_y, e.red_x, 1), 60);
      EXPECT_GT(at(e.green_y, e.green_x, 1), 200);
      EXPECT_LT(at(e.green_y, e.green_x, 0), 60);
    }
    DecodeOptions raw;
    raw.apply_orientation = false;
    EXPECT_EQ(decode(with_exif_orientation(jpg, e.o), raw).width, w);
  }
}

TEST(ExifOrientation, BrokenExifNeverFailsTheDecode) {
  const std::vector<uint8_t> junk = {'I', 'I', 42, 0, 0xFF, 0xFF, 0xFF, 0x7F, 1, 2, 3};
  EXPECT_EQ(exif_orientation_from_tiff(junk.data(), junk.size()), 1);
  EXPECT_EQ(exif_orientation_from_tiff(junk.data(), 3), 1);
  auto tiff = exif_tiff(9);  // out of range
  EXPECT_EQ(exif_orientation_from_tiff(tiff.data(), tiff.size()), 1);
}

TEST(ImageDecodeErrors, TruncatedCorruptAndForeignBytesAreErrors) {
  const auto rgb = photo_like_rgb(64, 64, 6);
  const auto jpg = encode_jpeg(rgb, 64, 64);
  const auto png = encode_png(rgb, 64, 64, PngKind::kRgb8);
  auto expect_error = [](const std::vector<uint8_t>& b, const std::string& fragment) {
    try {
      decode(b);
      ADD_FAILURE() << "no error for " << fragment;
    } catch (const eden::Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error(std::vector<uint8_t>(jpg.begin(), jpg.begin() + jpg.size() / 2), "truncated");
  expect_error(std::vector<uint8_t>(jpg.begin(), jpg.begin() + 20), "JPEG");
  expect_error(std::vector<uint8_t>(png.begin(), png.begin() + png.size() / 2), "PNG");
  auto bad_crc = png;
  bad_crc[40] ^= 0xFF;  // inside IHDR/IDAT: CRC mismatch
  expect_error(bad_crc, "PNG");
  expect_error({}, "not a JPEG or PNG");
  expect_error({'G', 'I', 'F', '8', '9', 'a'}, "not a JPEG or PNG");
}

TEST(ImageDecodeErrors, HugeDeclaredSizeIsRefusedBeforeAllocating) {
  const auto png = encode_png(solid_rgb(4, 4, 1, 2, 3), 4, 4, PngKind::kRgb8);
  DecodeOptions o;
  o.max_pixels = 10;  // the 4x4 image is over it
  EXPECT_THROW(decode(png, o), eden::Error);
  const auto jpg = encode_jpeg(solid_rgb(16, 16, 1, 2, 3), 16, 16);
  EXPECT_THROW(decode(jpg, o), eden::Error);
}

// Found by fuzz_image_decode: after a first warning TurboJPEG reports later fatal errors as
// warnings too, and these decoded "successfully" to mostly blank pixels.
TEST(ImageDecodeErrors, FuzzerFoundCorruptJpegsAreRefused) {
  const std::filesystem::path dir = std::string(EDEN_SOURCE_DIR) + "/tests/data/regressions";
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir)) {
    if (e.path().extension() != ".jpg") continue;
    ++files;
    std::ifstream in(e.path(), std::ios::binary);
    const std::vector<uint8_t> b((std::istreambuf_iterator<char>(in)),
                                 std::istreambuf_iterator<char>());
    EXPECT_THROW(decode(b), eden::Error) << e.path();
  }
  EXPECT_EQ(files, 4);
}

TEST(JpegDecode, ExtraneousBytesBeforeAMarkerAreTolerated) {
  // Common in the wild (e.g. padding before EOI); libjpeg warns, the image is intact (PIL too).
  const auto rgb = photo_like_rgb(kH, kW, 8);
  const auto jpg = encode_jpeg(rgb, kH, kW);
  auto padded = jpg;
  padded.insert(padded.end() - 2, {0x00, 0x00, 0x00});
  const auto a = decode(jpg), b = decode(padded);
  EXPECT_EQ(a.rgb, b.rgb);
}
