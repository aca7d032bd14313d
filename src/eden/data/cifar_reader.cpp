// CIFAR binary: records of <label byte(s)><1024 R><1024 G><1024 B>, already planar (C, H, W).
#include "eden/data/cifar_reader.h"

#include <cstring>
#include <fstream>

#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden::data {
namespace fs = std::filesystem;
namespace {

constexpr int64_t kPixels = 3 * 32 * 32;

const std::vector<std::string>& cifar10_names() {
  static const std::vector<std::string> kNames = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return kNames;
}

// The CIFAR-100 fine labels in index order (the names the distribution's meta file lists).
const std::vector<std::string>& cifar100_names() {
  static const std::vector<std::string> kNames = {
      "apple",       "aquarium_fish", "baby",      "bear",       "beaver",       "bed",
      "bee",         "beetle",        "bicycle",   "bottle",     "bowl",         "boy",
      "bridge",      "bus",           "butterfly", "camel",      "can",          "castle",
      "caterpillar", "cattle",        "chair",     "chimpanzee", "clock",        "cloud",
      "cockroach",   "couch",         "crab",      "crocodile",  "cup",          "dinosaur",
      "dolphin",     "elephant",      "flatfish",  "forest",     "fox",          "girl",
      "hamster",     "house",         "kangaroo",  "keyboard",   "lamp",         "lawn_mower",
      "leopard",     "lion",          "lizard",    "lobster",    "man",          "maple_tree",
      "motorcycle",  "mountain",      "mouse",     "mushroom",   "oak_tree",     "orange",
      "orchid",      "otter",         "palm_tree", "pear",       "pickup_truck", "pine_tree",
      "plain",       "plate",         "poppy",     "porcupine",  "possum",       "rabbit",
      "raccoon",     "ray",           "road",      "rocket",     "rose",         "sea",
      "seal",        "shark",         "shrew",     "skunk",      "skyscraper",   "snail",
      "snake",       "spider",        "squirrel",  "streetcar",  "sunflower",    "sweet_pepper",
      "table",       "tank",          "telephone", "television", "tiger",        "tractor",
      "train",       "trout",         "tulip",     "turtle",     "wardrobe",     "whale",
      "willow_tree", "wolf",          "woman",     "worm"};
  return kNames;
}

fs::path resolve(const fs::path& dir) {
  for (const char* sub : {"cifar-10-batches-bin", "cifar-100-binary"}) {
    if (fs::is_directory(dir / sub)) return dir / sub;
  }
  return dir;
}

std::vector<std::string> names_from(const fs::path& file, const std::vector<std::string>& def) {
  if (!fs::exists(file)) return def;
  std::ifstream in(file);
  std::vector<std::string> names;
  std::string line;
  while (std::getline(in, line)) {
    while (!line.empty() && (line.back() == '\r' || line.back() == ' ')) line.pop_back();
    if (!line.empty()) names.push_back(line);
  }
  EDEN_CHECK(names.size() == def.size(), file.string(), ": lists ", names.size(),
             " class names, expected ", def.size());
  return names;
}

std::vector<uint8_t> read_bytes(const fs::path& p) {
  const std::string s = read_file(p);
  return {s.begin(), s.end()};
}

ImageDataset concat(std::vector<ImageDataset> parts) {
  std::vector<torch::Tensor> images, labels;
  for (auto& p : parts) {
    images.push_back(p.images);
    labels.push_back(p.labels);
  }
  ImageDataset out;
  out.images = torch::cat(images);
  out.labels = torch::cat(labels);
  out.classes = parts.front().classes;
  return out;
}

}  // namespace

bool is_cifar_folder(const fs::path& dir) {
  const auto d = resolve(dir);
  return fs::exists(d / "data_batch_1.bin") ||
         (fs::exists(d / "train.bin") && fs::exists(d / "test.bin"));
}

ImageDataset parse_cifar_records(const std::vector<uint8_t>& bytes, int label_bytes,
                                 const std::vector<std::string>& classes, const std::string& what) {
  EDEN_ASSERT(label_bytes == 1 || label_bytes == 2, "label_bytes ", label_bytes);
  const int64_t record = label_bytes + kPixels;
  const auto size = static_cast<int64_t>(bytes.size());
  EDEN_CHECK(size > 0 && size % record == 0, what, ": ", size, " bytes is not a whole number of ",
             record, "-byte CIFAR records (truncated, or not CIFAR-",
             label_bytes == 1 ? "10" : "100", " binary)");
  const int64_t n = size / record;
  ImageDataset ds;
  ds.images = torch::empty({n, 3, 32, 32}, torch::kUInt8);
  ds.labels = torch::empty({n}, torch::kLong);
  uint8_t* img = ds.images.data_ptr<uint8_t>();
  int64_t* lab = ds.labels.data_ptr<int64_t>();
  for (int64_t i = 0; i < n; ++i) {
    const uint8_t* r = bytes.data() + i * record;
    const int64_t label = r[label_bytes - 1];
    EDEN_CHECK(label < static_cast<int64_t>(classes.size()), what, ": record ", i, " has label ",
               label, ", out of range for ", classes.size(), " classes");
    lab[i] = label;
    std::memcpy(img + i * kPixels, r + label_bytes, kPixels);
  }
  ds.classes = classes;
  return ds;
}

DataSplits load_cifar_folder(const fs::path& dir) {
  const auto d = resolve(dir);
  DataSplits out;
  out.report.format = fs::exists(d / "data_batch_1.bin") ? "cifar-10" : "cifar-100";
  out.report.split = "files";
  out.name = out.report.format;
  if (out.report.format == "cifar-10") {
    const auto classes = names_from(d / "batches.meta.txt", cifar10_names());
    std::vector<ImageDataset> parts;
    for (int b = 1; b <= 5; ++b) {
      const auto p = d / ("data_batch_" + std::to_string(b) + ".bin");
      if (!fs::exists(p)) break;
      parts.push_back(parse_cifar_records(read_bytes(p), 1, classes, p.string()));
    }
    out.train = concat(std::move(parts));
    const auto t = d / "test_batch.bin";
    EDEN_CHECK(fs::exists(t), "CIFAR-10 folder ", d, " has no test_batch.bin");
    out.test = parse_cifar_records(read_bytes(t), 1, classes, t.string());
  } else {
    const auto classes = names_from(d / "fine_label_names.txt", cifar100_names());
    out.train =
        parse_cifar_records(read_bytes(d / "train.bin"), 2, classes, (d / "train.bin").string());
    out.test =
        parse_cifar_records(read_bytes(d / "test.bin"), 2, classes, (d / "test.bin").string());
  }
  out.report.files_seen = out.report.images_loaded = out.train.size() + out.test.size();
  out.report.ram_bytes = out.report.images_loaded * kPixels;
  return out;
}

}  // namespace eden::data
