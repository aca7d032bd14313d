// Writes the fuzzers' seed corpus, small valid files of every kind the readers accept, into
// <dir>/image and <dir>/idx; each seed is decoded once here so that a broken seed fails loudly.
#include <zlib.h>

#include <algorithm>  // image_files.h uses std::max({...}) without including it
#include <cstdio>
#include <cstdlib>  // and std::free
#include <exception>
#include <filesystem>
#include <string>
#include <vector>

#include "common/image_files.h"
#include "eden/data/idx_format.h"
#include "eden/data/image_decode.h"
#include "eden/util/check.h"

namespace fs = std::filesystem;
using eden::testing::JpegKind;
using eden::testing::PngKind;

namespace {

using Bytes = std::vector<uint8_t>;

// 4:2:0 with sides that are not a multiple of the MCU: the padding paths of the decoder
// (encode_jpeg only writes 4:4:4).
Bytes encode_jpeg_420(const Bytes& rgb, int h, int w) {
  tjhandle tj = tjInitCompress();
  unsigned char* out = nullptr;
  unsigned long size = 0;
  const int rc = tjCompress2(tj, rgb.data(), w, 0, h, TJPF_RGB, &out, &size, TJSAMP_420, 80, 0);
  EDEN_CHECK(rc == 0, "4:2:0 JPEG encode failed: ", tjGetErrorStr2(tj));
  Bytes jpeg(out, out + size);
  tjFree(out);
  tjDestroy(tj);
  return jpeg;
}

Bytes idx_file(const std::vector<uint32_t>& shape) {
  Bytes b = {0, 0, 0x08, static_cast<uint8_t>(shape.size())};
  size_t count = 1;
  for (const uint32_t d : shape) {
    b.insert(b.end(), {static_cast<uint8_t>(d >> 24), static_cast<uint8_t>(d >> 16),
                       static_cast<uint8_t>(d >> 8), static_cast<uint8_t>(d)});
    count *= d;
  }
  for (size_t i = 0; i < count; ++i) b.push_back(static_cast<uint8_t>(i * 37 % 251));
  return b;
}

Bytes gzip(const Bytes& raw) {
  z_stream zs{};
  EDEN_CHECK(deflateInit2(&zs, 9, Z_DEFLATED, 16 + MAX_WBITS, 8, Z_DEFAULT_STRATEGY) == Z_OK,
             "deflateInit2 failed");
  Bytes out(deflateBound(&zs, raw.size()));
  zs.next_in = const_cast<Bytef*>(raw.data());
  zs.avail_in = static_cast<uInt>(raw.size());
  zs.next_out = out.data();
  zs.avail_out = static_cast<uInt>(out.size());
  const int rc = deflate(&zs, Z_FINISH);
  out.resize(zs.total_out);
  deflateEnd(&zs);
  EDEN_CHECK(rc == Z_STREAM_END, "deflate failed");
  return out;
}

struct Writer {
  fs::path dir;
  size_t files = 0, bytes = 0;
  void write(const std::string& name, const Bytes& data) {
    eden::testing::write_bytes((dir / name).string(), data);
    ++files;
    bytes += data.size();
  }
};

// Writes an image seed after checking that it decodes, with the orientation it was given.
void image_seed(Writer& w, const std::string& name, const Bytes& data, int orientation = 1) {
  const auto img = eden::data::decode_image(data.data(), data.size());
  EDEN_CHECK(img.orientation == orientation, name, ": orientation ", img.orientation, ", expected ",
             orientation);
  w.write(name, data);
}

void idx_seed(Writer& w, const std::string& name, const Bytes& data) {
  const Bytes raw = eden::data::is_gzip(data.data(), data.size())
                        ? eden::data::gunzip(data.data(), data.size(), name)
                        : data;
  eden::data::parse_idx_layout(raw.data(), raw.size(), name);
  w.write(name, data);
}

void write_image_seeds(Writer& w) {
  using eden::testing::encode_jpeg;
  using eden::testing::encode_png;
  using eden::testing::photo_like_rgb;
  const Bytes a = photo_like_rgb(8, 8, 1), b = photo_like_rgb(30, 40, 2);
  const Bytes c = photo_like_rgb(12, 16, 3), d = photo_like_rgb(20, 12, 4);

  image_seed(w, "baseline_8x8.jpg", encode_jpeg(a, 8, 8, JpegKind::kBaseline));
  image_seed(w, "baseline_40x30.jpg", encode_jpeg(b, 30, 40, JpegKind::kBaseline, 75));
  image_seed(w, "progressive_40x30.jpg", encode_jpeg(b, 30, 40, JpegKind::kProgressive, 75));
  image_seed(w, "gray_16x12.jpg", encode_jpeg(c, 12, 16, JpegKind::kGray));
  image_seed(w, "cmyk_16x12.jpg", encode_jpeg(c, 12, 16, JpegKind::kCmyk, 75));
  image_seed(w, "yuv420_13x9.jpg", encode_jpeg_420(photo_like_rgb(9, 13, 5), 9, 13));
  for (const int o : {3, 6}) {
    image_seed(w, "exif" + std::to_string(o) + "_12x20.jpg",
               eden::testing::with_exif_orientation(encode_jpeg(d, 20, 12), o), o);
  }

  // Palette kinds need at most 256 colours: 16x12 = 192 pixels.
  const struct {
    PngKind kind;
    const char* name;
  } kinds[] = {{PngKind::kRgb8, "rgb8"},
               {PngKind::kRgba8, "rgba8"},
               {PngKind::kGray8, "gray8"},
               {PngKind::kGray16, "gray16"},
               {PngKind::kRgb16, "rgb16"},
               {PngKind::kPalette, "palette"},
               {PngKind::kPaletteAlpha, "palette_alpha"},
               {PngKind::kGray1, "gray1"}};
  for (const auto& k : kinds) {
    image_seed(w, std::string(k.name) + "_16x12.png", encode_png(c, 12, 16, k.kind));
  }
  image_seed(w, "rgb8_8x8.png", encode_png(a, 8, 8, PngKind::kRgb8));
  image_seed(w, "exif6_12x20.png", encode_png(d, 20, 12, PngKind::kRgb8, 6), 6);
}

void write_idx_seeds(Writer& w) {
  const Bytes labels = idx_file({10}), matrix = idx_file({3, 5}), images = idx_file({2, 4, 4});
  idx_seed(w, "labels_rank1.idx", labels);
  idx_seed(w, "matrix_rank2.idx", matrix);
  idx_seed(w, "images_rank3.idx", images);
  idx_seed(w, "rank4.idx", idx_file({1, 2, 2, 3}));
  idx_seed(w, "labels_rank1.idx.gz", gzip(labels));
  idx_seed(w, "images_rank3.idx.gz", gzip(images));
}

}  // namespace

int main(int argc, char** argv) {
  if (argc != 2) {
    std::fprintf(stderr, "usage: %s SEED_DIR  (writes SEED_DIR/image and SEED_DIR/idx)\n", argv[0]);
    return 2;
  }
  try {
    Writer image{fs::path(argv[1]) / "image"}, idx{fs::path(argv[1]) / "idx"};
    fs::create_directories(image.dir);
    fs::create_directories(idx.dir);
    write_image_seeds(image);
    write_idx_seeds(idx);
    std::printf("make_seed_corpus: %zu image seeds (%zu bytes), %zu idx seeds (%zu bytes) in %s\n",
                image.files, image.bytes, idx.files, idx.bytes, argv[1]);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "make_seed_corpus: %s\n", e.what());
    return 1;
  }
  return 0;
}
