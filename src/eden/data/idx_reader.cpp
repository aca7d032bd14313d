// IDX (MNIST-family) reader: gunzip in memory with zlib, validate the header against the payload.
#include "eden/data/idx_reader.h"

#include <zlib.h>

#include <cstring>
#include <limits>

#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::data {
namespace {

constexpr uint8_t kIdxTypeUByte = 0x08;
constexpr int kMaxIdxDims = 4;
constexpr size_t kMaxDecompressedBytes = size_t{8} << 30;  // refuse gzip bombs above 8 GiB

bool is_gzip(const std::string& raw) {
  return raw.size() >= 2 && static_cast<uint8_t>(raw[0]) == 0x1f &&
         static_cast<uint8_t>(raw[1]) == 0x8b;
}

std::vector<uint8_t> gunzip(const std::string& raw, const std::string& what) {
  z_stream zs{};
  EDEN_CHECK(inflateInit2(&zs, 16 + MAX_WBITS) == Z_OK, what, ": zlib init failed");
  zs.next_in = reinterpret_cast<Bytef*>(const_cast<char*>(raw.data()));
  zs.avail_in = static_cast<uInt>(raw.size());
  std::vector<uint8_t> out(std::max<size_t>(raw.size() * 4, 1 << 16));
  size_t produced = 0;
  int rc = Z_OK;
  while (rc != Z_STREAM_END) {
    if (produced == out.size()) {
      if (out.size() >= kMaxDecompressedBytes) {
        inflateEnd(&zs);
        EDEN_CHECK(false, what, ": decompresses to more than 8 GiB; not an IDX file?");
      }
      out.resize(std::min(out.size() * 2, kMaxDecompressedBytes));
    }
    zs.next_out = out.data() + produced;
    zs.avail_out = static_cast<uInt>(out.size() - produced);
    rc = inflate(&zs, Z_NO_FLUSH);
    produced = out.size() - zs.avail_out;
    if (rc == Z_BUF_ERROR && zs.avail_in == 0) break;  // input ended before the stream did
    if (rc != Z_OK && rc != Z_STREAM_END && rc != Z_BUF_ERROR) break;
  }
  inflateEnd(&zs);
  EDEN_CHECK(rc == Z_STREAM_END, what, ": corrupt or truncated gzip stream",
             zs.msg != nullptr ? std::string(" (") + zs.msg + ")" : std::string());
  out.resize(produced);
  return out;
}

}  // namespace

torch::Tensor parse_idx(const std::vector<uint8_t>& bytes, const std::string& what) {
  EDEN_CHECK(bytes.size() >= 4, what, ": too short for an IDX header (", bytes.size(), " bytes)");
  EDEN_CHECK(bytes[0] == 0 && bytes[1] == 0, what, ": bad magic number 0x", std::hex,
             (int{bytes[0]} << 24 | int{bytes[1]} << 16 | int{bytes[2]} << 8 | int{bytes[3]}),
             std::dec, "; not an IDX file");
  EDEN_CHECK(bytes[2] == kIdxTypeUByte, what, ": IDX element type 0x", std::hex, int{bytes[2]},
             std::dec, " is not unsigned byte (0x08)");
  const int ndims = bytes[3];
  EDEN_CHECK(ndims >= 1 && ndims <= kMaxIdxDims, what, ": IDX rank ", ndims, " not in [1, 4]");
  const size_t header = 4 + 4 * static_cast<size_t>(ndims);
  EDEN_CHECK(bytes.size() >= header, what, ": truncated IDX header");
  std::vector<int64_t> shape;
  size_t count = 1;
  for (int d = 0; d < ndims; ++d) {
    const uint8_t* p = bytes.data() + 4 + 4 * d;
    const uint32_t dim = uint32_t{p[0]} << 24 | uint32_t{p[1]} << 16 | uint32_t{p[2]} << 8 | p[3];
    EDEN_CHECK(dim > 0 && dim <= (1u << 30), what, ": dimension ", d, " is ", dim);
    EDEN_CHECK(count <= std::numeric_limits<size_t>::max() / dim, what, ": shape overflows");
    count *= dim;
    shape.push_back(dim);
  }
  const size_t payload = bytes.size() - header;
  EDEN_CHECK(payload >= count, what, ": truncated: header promises ", count,
             " bytes of data, file has ", payload);
  EDEN_CHECK(payload == count, what, ": ", payload - count, " unexpected bytes after the data");
  auto t = torch::empty(shape, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), bytes.data() + header, count);
  return t;
}

torch::Tensor read_idx_file(const std::filesystem::path& path) {
  const std::string what = path.string();
  std::string raw = read_file(path);
  if (is_gzip(raw)) return parse_idx(gunzip(raw, what), what);
  return parse_idx(std::vector<uint8_t>(raw.begin(), raw.end()), what);
}

ImageDataset load_idx_split(const std::filesystem::path& images_path,
                            const std::filesystem::path& labels_path,
                            std::vector<std::string> classes) {
  auto images = read_idx_file(images_path);
  auto labels = read_idx_file(labels_path);
  EDEN_CHECK(images.dim() == 3, images_path.string(), ": expected (N, H, W) images, got rank ",
             images.dim());
  EDEN_CHECK(labels.dim() == 1, labels_path.string(), ": expected (N) labels, got rank ",
             labels.dim());
  EDEN_CHECK(images.size(0) == labels.size(0), images_path.string(), " has ", images.size(0),
             " images but ", labels_path.string(), " has ", labels.size(0), " labels");
  ImageDataset ds;
  ds.images = images.unsqueeze(1).contiguous();  // (N, 1, H, W)
  ds.labels = labels.to(torch::kLong);
  const int64_t max_label = labels.max().item<int64_t>();
  EDEN_CHECK(max_label < static_cast<int64_t>(classes.size()), labels_path.string(), ": label ",
             max_label, " out of range for ", classes.size(), " classes");
  ds.classes = std::move(classes);
  return ds;
}

const std::vector<std::string>& fashion_mnist_classes() {
  static const std::vector<std::string> kNames = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                  "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                  "Bag",         "Ankle boot"};
  return kNames;
}

DataSplits load_mnist_folder(const std::filesystem::path& dir) {
  EDEN_CHECK(std::filesystem::is_directory(dir), "data folder ", dir,
             " does not exist; hint: install Debian's dataset-fashion-mnist (scripts/setup) or "
             "pass --data DIR");
  auto find = [&](const std::string& stem) {
    for (const char* suffix : {".gz", ""}) {
      const auto p = dir / (stem + suffix);
      if (std::filesystem::exists(p)) return p;
    }
    EDEN_CHECK(false, "data folder ", dir, " has no ", stem, "[.gz]; expected the MNIST layout ",
               "(train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-...)");
    return std::filesystem::path();
  };
  const std::string folder =
      dir.filename().empty() ? dir.parent_path().filename().string() : dir.filename().string();
  const bool fashion = folder.find("fashion") != std::string::npos;
  std::vector<std::string> classes;
  if (fashion) {
    classes = fashion_mnist_classes();
  } else {
    for (int i = 0; i < 10; ++i) classes.push_back(std::to_string(i));
  }
  DataSplits splits;
  splits.name = fashion ? "fashion-mnist" : folder;
  splits.train =
      load_idx_split(find("train-images-idx3-ubyte"), find("train-labels-idx1-ubyte"), classes);
  splits.test =
      load_idx_split(find("t10k-images-idx3-ubyte"), find("t10k-labels-idx1-ubyte"), classes);
  EDEN_CHECK(
      splits.train.height() == splits.test.height() && splits.train.width() == splits.test.width(),
      "data folder ", dir, ": train and test image sizes differ");
  return splits;
}

}  // namespace eden::data
