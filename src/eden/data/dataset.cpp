// Consistency checks, sample selection and class subsets for ImageDataset (both storage modes).
#include "eden/data/dataset.h"

#include <atomic>

#include "eden/data/image_preprocess.h"
#include "eden/util/check.h"
#include "eden/util/parallel.h"

namespace eden::data {

int64_t EncodedImages::bytes() const {
  int64_t n = 0;
  for (const auto& f : files) n += static_cast<int64_t>(f.size());
  return n;
}

torch::Tensor EncodedImages::decode(const torch::Tensor& ids) const {
  const auto cpu_ids = ids.to(torch::kCPU, torch::kLong).contiguous();
  const int64_t n = cpu_ids.size(0);
  auto out = torch::empty({n, 3, size, size}, torch::kUInt8);
  const int64_t* id = cpu_ids.data_ptr<int64_t>();
  uint8_t* dst = out.data_ptr<uint8_t>();
  const int64_t stride = 3 * size * size;
  std::atomic<int64_t> failed{-1};
  parallel_for(n, threads, [&](int64_t i) {
    const auto& f = files.at(static_cast<size_t>(id[i]));
    try {
      decode_to_square(f.data(), f.size(), static_cast<int>(size), dst + i * stride);
    } catch (const std::exception&) {
      failed = id[i];
    }
  });
  // Every file was decoded once when it was loaded; a failure now means the bytes changed.
  EDEN_ASSERT(failed.load() < 0, "encoded image ", failed.load(), " decoded at load but not now");
  return out;
}

torch::Tensor ImageDataset::gather(const torch::Tensor& idx) const {
  if (is_encoded()) return encoded->decode(encoded_ids.index_select(0, idx.to(torch::kCPU)));
  return images.index_select(0, idx);
}

ImageDataset ImageDataset::select(const torch::Tensor& idx) const {
  ImageDataset out;
  out.classes = classes;
  out.labels = labels.index_select(0, idx).contiguous();
  if (is_encoded()) {
    out.encoded = encoded;
    out.encoded_ids = encoded_ids.index_select(0, idx).contiguous();
  } else {
    out.images = images.index_select(0, idx).contiguous();
  }
  return out;
}

void ImageDataset::validate(const std::string& what) const {
  EDEN_CHECK(labels.defined() && (images.defined() || is_encoded()), what, ": empty data set");
  EDEN_CHECK(labels.dim() == 1 && labels.scalar_type() == torch::kLong, what,
             ": labels must be a 1-D int64 tensor");
  if (is_encoded()) {
    EDEN_CHECK(encoded_ids.defined() && encoded_ids.size(0) == labels.size(0), what, ": ",
               encoded_ids.defined() ? encoded_ids.size(0) : 0, " encoded images but ",
               labels.size(0), " labels");
  } else {
    EDEN_CHECK(images.dim() == 4, what, ": images must be (N, C, H, W), got ", images.sizes());
    EDEN_CHECK(images.scalar_type() == torch::kUInt8, what, ": images must be uint8");
    EDEN_CHECK(images.size(0) == labels.size(0), what, ": ", images.size(0), " images but ",
               labels.size(0), " labels");
  }
  EDEN_CHECK(!classes.empty(), what, ": no class names");
  if (size() > 0) {
    const int64_t lo = labels.min().item<int64_t>();
    const int64_t hi = labels.max().item<int64_t>();
    EDEN_CHECK(lo >= 0 && hi < num_classes(), what, ": label range [", lo, ", ", hi,
               "] does not fit ", num_classes(), " classes");
  }
}

ImageDataset ImageDataset::subset_of_classes(const std::vector<int64_t>& keep) const {
  EDEN_CHECK(!keep.empty(), "subset_of_classes: no classes to keep");
  auto remap = torch::full({num_classes()}, -1, torch::kLong);
  std::vector<std::string> names;
  for (size_t i = 0; i < keep.size(); ++i) {
    EDEN_CHECK(keep[i] >= 0 && keep[i] < num_classes(), "subset_of_classes: class ", keep[i],
               " out of range [0, ", num_classes(), ")");
    remap[keep[i]] = static_cast<int64_t>(i);
    names.push_back(classes[keep[i]]);
  }
  const auto new_labels = remap.index_select(0, labels);
  const auto idx = (new_labels >= 0).nonzero().squeeze(1);
  ImageDataset out = select(idx);
  out.labels = new_labels.index_select(0, idx).contiguous();
  out.classes = std::move(names);
  return out;
}

}  // namespace eden::data
