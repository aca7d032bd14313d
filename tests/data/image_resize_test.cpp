// The storage transform against its reference: torchvision's Resize(S) + CenterCrop(S) on the
// PIL-decoded file, byte for byte; plus the analytic properties (flat stays flat, the shape
// rule) that hold without Python.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../common/image_files.h"
#include "../io/python.h"
#include "eden/data/image_decode.h"
#include "eden/data/image_preprocess.h"
#include "eden/data/image_resize.h"
#include "eden/util/check.h"

using namespace eden::data;
using namespace eden::testing;
namespace fs = std::filesystem;

namespace {

std::vector<uint8_t> eden_square(const std::vector<uint8_t>& file, int size, bool dct) {
  std::vector<uint8_t> out(static_cast<size_t>(3) * size * size);
  decode_to_square(file.data(), file.size(), size, out.data(), dct);
  return out;
}

std::vector<uint8_t> read_all(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

struct Diff {
  int max = 0;
  double mean = 0;
};
Diff diff(const std::vector<uint8_t>& a, const std::vector<uint8_t>& b) {
  Diff d;
  EXPECT_EQ(a.size(), b.size());
  for (size_t i = 0; i < std::min(a.size(), b.size()); ++i) {
    const int v = std::abs(a[i] - b[i]);
    d.max = std::max(d.max, v);
    d.mean += v;
  }
  d.mean /= static_cast<double>(a.size());
  return d;
}

}  // namespace

TEST(ImageResize, ExtentFollowsTorchvisionsRule) {
  // Shorter side -> size, longer side scaled and truncated (int(size * long / short)).
  EXPECT_EQ(resized_extent(480, 640, 224).height, 224);
  EXPECT_EQ(resized_extent(480, 640, 224).width, 298);   // 298.67 -> 298
  EXPECT_EQ(resized_extent(457, 301, 224).height, 340);  // 340.09
  EXPECT_EQ(resized_extent(457, 301, 224).width, 224);
  EXPECT_EQ(resized_extent(100, 100, 224).width, 224);
  EXPECT_THROW(resized_extent(0, 5, 224), eden::Error);
}

TEST(ImageResize, FlatImageStaysFlatAtEverySize) {
  for (auto [h, w] : {std::pair{600, 800}, {37, 53}, {224, 224}, {5, 900}}) {
    const auto rgb = solid_rgb(h, w, 10, 128, 250);
    std::vector<uint8_t> out(3 * 64 * 64);
    resize_center_crop(rgb.data(), h, w, 64, out.data());
    for (size_t i = 0; i < out.size(); ++i) {
      ASSERT_EQ(out[i], (i < 4096 ? 10 : i < 8192 ? 128 : 250)) << h << "x" << w << " at " << i;
    }
  }
}

TEST(ImageResize, MatchesTorchvisionByteForByte) {
  if (!python_has("torch, torchvision, PIL")) {
    GTEST_SKIP() << "system Python lacks torch/torchvision/PIL (python3-torchvision)";
  }
  const fs::path dir = fs::temp_directory_path() / ("eden_resize_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  struct Case {
    std::string name;
    std::vector<uint8_t> file;
    int size;
    bool dct;
    int max_diff;  // PNG: the same filter and rounding as PIL -> exact
    double mean_diff;
  };
  std::vector<Case> cases;
  auto png = [&](int h, int w, uint32_t seed, int size) {
    cases.push_back(
        {"png_" + std::to_string(h) + "x" + std::to_string(w) + "_" + std::to_string(size),
         encode_png(photo_like_rgb(h, w, seed), h, w, PngKind::kRgb8), size, true, 0, 0.0});
  };
  png(301, 457, 1, 224);  // landscape downscale
  png(457, 301, 2, 224);  // portrait downscale
  png(224, 300, 3, 224);  // shorter side already the size
  png(100, 80, 4, 224);   // upscale
  png(533, 533, 5, 97);   // odd target
  // JPEG at full scale: the same libjpeg-turbo IDCT as PIL's -> exact too.
  const auto jpg = encode_jpeg(photo_like_rgb(480, 640, 6), 480, 640, JpegKind::kBaseline, 90);
  cases.push_back({"jpeg_full", jpg, 224, false, 0, 0.0});
  // JPEG with DCT-domain downscaling (PIL's draft mode does the same): close, not identical.
  const auto big = encode_jpeg(photo_like_rgb(900, 1200, 7), 900, 1200, JpegKind::kBaseline, 90);
  cases.push_back({"jpeg_dct_scaled", big, 224, true, 40, 1.5});
  for (const auto& c : cases) {
    write_bytes((dir / (c.name + ".img")).string(), c.file);
  }
  for (int size : {224, 97}) {
    std::string a = std::to_string(size);
    for (const auto& c : cases) {
      if (c.size != size) continue;
      a += " " + (dir / (c.name + ".img")).string() + " " + (dir / (c.name + ".ref")).string();
    }
    const auto r = run_python(test_script("data/torchvision_resize_reference.py") + " " + a);
    ASSERT_EQ(r.status, 0) << r.output;
  }
  for (const auto& c : cases) {
    SCOPED_TRACE(c.name);
    const auto ref = read_all(dir / (c.name + ".ref"));
    const auto d = diff(eden_square(c.file, c.size, c.dct), ref);
    EXPECT_LE(d.max, c.max_diff);
    EXPECT_LE(d.mean, c.mean_diff);
    std::printf("%s: max |eden - torchvision| = %d, mean = %.3f\n", c.name.c_str(), d.max, d.mean);
  }
  fs::remove_all(dir);
}
