// Consistency checks and class subsets for ImageDataset.
#include "eden/data/dataset.h"

#include "eden/util/check.h"

namespace eden::data {

void ImageDataset::validate(const std::string& what) const {
  EDEN_CHECK(images.defined() && labels.defined(), what, ": empty data set");
  EDEN_CHECK(images.dim() == 4, what, ": images must be (N, C, H, W), got ", images.sizes());
  EDEN_CHECK(images.scalar_type() == torch::kUInt8, what, ": images must be uint8");
  EDEN_CHECK(labels.dim() == 1 && labels.scalar_type() == torch::kLong, what,
             ": labels must be a 1-D int64 tensor");
  EDEN_CHECK(images.size(0) == labels.size(0), what, ": ", images.size(0), " images but ",
             labels.size(0), " labels");
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
  ImageDataset out;
  for (size_t i = 0; i < keep.size(); ++i) {
    EDEN_CHECK(keep[i] >= 0 && keep[i] < num_classes(), "subset_of_classes: class ", keep[i],
               " out of range [0, ", num_classes(), ")");
    remap[keep[i]] = static_cast<int64_t>(i);
    out.classes.push_back(classes[keep[i]]);
  }
  const auto new_labels = remap.index_select(0, labels);
  const auto idx = (new_labels >= 0).nonzero().squeeze(1);
  out.images = images.index_select(0, idx).contiguous();
  out.labels = new_labels.index_select(0, idx).contiguous();
  return out;
}

}  // namespace eden::data
