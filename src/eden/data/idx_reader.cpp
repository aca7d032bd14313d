// IDX (MNIST-family) reader: gunzip in memory with zlib, validate the header against the payload.
#include "eden/data/idx_reader.h"

#include <cstring>

#include "eden/data/idx_format.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::data {

torch::Tensor parse_idx(const std::vector<uint8_t>& bytes, const std::string& what) {
  const IdxLayout layout = parse_idx_layout(bytes.data(), bytes.size(), what);
  auto t = torch::empty(layout.shape, torch::kUInt8);
  std::memcpy(t.data_ptr<uint8_t>(), bytes.data() + layout.header_bytes, layout.count);
  return t;
}

torch::Tensor read_idx_file(const std::filesystem::path& path) {
  const std::string what = path.string();
  const std::string raw = read_file(path);
  const auto* data = reinterpret_cast<const uint8_t*>(raw.data());
  if (is_gzip(data, raw.size())) return parse_idx(gunzip(data, raw.size(), what), what);
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
  EDEN_CHECK(!std::filesystem::exists(dir) || std::filesystem::is_directory(dir), "--data ", dir,
             " is a file, not a folder; hint: pass the folder that holds the data set's files");
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
  splits.report.format = "idx";
  splits.report.split = "files";
  splits.train =
      load_idx_split(find("train-images-idx3-ubyte"), find("train-labels-idx1-ubyte"), classes);
  splits.test =
      load_idx_split(find("t10k-images-idx3-ubyte"), find("t10k-labels-idx1-ubyte"), classes);
  EDEN_CHECK(
      splits.train.height() == splits.test.height() && splits.train.width() == splits.test.width(),
      "data folder ", dir, ": train and test image sizes differ");
  splits.report.files_seen = 4;
  splits.report.images_loaded = splits.train.size() + splits.test.size();
  splits.report.ram_bytes = splits.train.images.nbytes() + splits.test.images.nbytes();
  return splits;
}

}  // namespace eden::data
