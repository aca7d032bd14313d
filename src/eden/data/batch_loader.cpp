// Index-based batching over a preloaded uint8 tensor, with batch-wide augmentation.
#include "eden/data/batch_loader.h"

#include <ATen/CPUGeneratorImpl.h>

#include "eden/util/check.h"

namespace eden::data {
namespace {

at::Generator make_generator(uint64_t seed, int64_t epoch, int64_t salt) {
  // SplitMix-style mixing so (seed, epoch, batch) streams do not overlap.
  uint64_t z = seed + 0x9E3779B97F4A7C15ULL * static_cast<uint64_t>(epoch + 1) +
               0xBF58476D1CE4E5B9ULL * static_cast<uint64_t>(salt + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  return at::make_generator<at::CPUGeneratorImpl>(z ^ (z >> 31));
}

}  // namespace

Preload parse_preload(const std::string& text) {
  if (text == "host") return Preload::kHost;
  if (text == "device") return Preload::kDevice;
  EDEN_CHECK(false, "--preload: expected 'host' or 'device', got '", text, "'");
  return Preload::kHost;
}

std::string to_string(Preload p) {
  return p == Preload::kHost ? "host" : "device";
}

Normalization measure_normalization(const ImageDataset& ds) {
  EDEN_CHECK(ds.size() > 0, "cannot measure normalisation of an empty data set");
  const auto per_channel = ds.images.transpose(0, 1).reshape({ds.channels(), -1});
  Normalization n;
  for (int64_t c = 0; c < ds.channels(); ++c) {
    const auto v = per_channel[c].to(torch::kDouble).div_(255.0);
    n.mean.push_back(v.mean().item<double>());
    n.std.push_back(std::max(v.std().item<double>(), 1e-6));
  }
  return n;
}

BatchLoader::BatchLoader(const ImageDataset& ds, LoaderOptions options)
    : options_(std::move(options)) {
  ds.validate("BatchLoader");
  EDEN_CHECK(options_.batch_size > 0, "--batch-size must be positive, got ", options_.batch_size);
  EDEN_CHECK(options_.crop_padding >= 0, "crop padding must be >= 0");
  const int64_t c = ds.channels();
  if (options_.norm.mean.empty()) {
    options_.norm.mean.assign(c, 0.5);
    options_.norm.std.assign(c, 0.5);
  }
  EDEN_CHECK(static_cast<int64_t>(options_.norm.mean.size()) == c &&
                 static_cast<int64_t>(options_.norm.std.size()) == c,
             "normalisation has ", options_.norm.mean.size(), " channels, data has ", c);

  const bool on_device = options_.preload == Preload::kDevice;
  EDEN_CHECK(!on_device || options_.device.is_cuda(),
             "--preload device needs a CUDA device (got --device ", options_.device.str(), ")");
  if (on_device) {
    images_ = ds.images.to(options_.device);
    labels_ = ds.labels.to(options_.device);
  } else if (options_.device.is_cuda()) {
    images_ = ds.images.pin_memory();  // async host->device copies
    labels_ = ds.labels.pin_memory();
  } else {
    images_ = ds.images;
    labels_ = ds.labels;
  }
  auto f = torch::TensorOptions().dtype(torch::kFloat).device(options_.device);
  mean_ = torch::tensor(options_.norm.mean, torch::kDouble).mul(255.0).to(f).view({1, c, 1, 1});
  inv_std_ = torch::tensor(options_.norm.std, torch::kDouble)
                 .mul(255.0)
                 .reciprocal()
                 .to(f)
                 .view({1, c, 1, 1});
  set_epoch(0);
}

void BatchLoader::set_epoch(int64_t epoch) {
  epoch_ = epoch;
  const int64_t n = labels_.size(0);
  if (options_.shuffle) {
    auto gen = make_generator(options_.seed, epoch, -1);
    order_ = torch::randperm(n, gen, torch::kLong);
  } else {
    order_ = torch::arange(n, torch::kLong);
  }
  order_ = order_.to(images_.device());
}

int64_t BatchLoader::num_batches() const {
  const int64_t n = labels_.size(0);
  const int64_t b = options_.batch_size;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

torch::Tensor BatchLoader::augment(torch::Tensor x, at::Generator& gen) const {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  auto long_opts = torch::TensorOptions().dtype(torch::kLong);
  if (options_.crop_padding > 0) {
    const int64_t p = options_.crop_padding;
    auto padded = torch::constant_pad_nd(x, {p, p, p, p}, 0);  // (B, C, H+2p, W+2p)
    auto dy = torch::randint(0, 2 * p + 1, {b}, gen, long_opts).to(x.device());
    auto dx = torch::randint(0, 2 * p + 1, {b}, gen, long_opts).to(x.device());
    auto rows = dy.view({b, 1, 1}) + torch::arange(h, long_opts.device(x.device())).view({1, h, 1});
    auto cols = dx.view({b, 1, 1}) + torch::arange(w, long_opts.device(x.device())).view({1, 1, w});
    auto bidx = torch::arange(b, long_opts.device(x.device())).view({b, 1, 1});
    using torch::indexing::Slice;
    x = padded
            .index({bidx, Slice(), rows, cols})  // (B, H, W, C)
            .permute({0, 3, 1, 2})
            .contiguous();
  }
  if (options_.hflip) {
    auto flip = torch::rand({b}, gen).lt(0.5).to(x.device()).view({b, 1, 1, 1});
    x = torch::where(flip, x.flip({3}), x);
  }
  return x;
}

Batch BatchLoader::batch(int64_t i) const {
  EDEN_ASSERT(i >= 0 && i < num_batches(), "batch index ", i, " of ", num_batches());
  const int64_t n = labels_.size(0);
  const int64_t start = i * options_.batch_size;
  const int64_t len = std::min(options_.batch_size, n - start);
  const auto idx = order_.narrow(0, start, len);
  auto x = images_.index_select(0, idx);  // (B, C, H, W) uint8, one gather
  auto y = labels_.index_select(0, idx);
  if (options_.crop_padding > 0 || options_.hflip) {
    auto gen = make_generator(options_.seed, epoch_, i);
    x = augment(x, gen);
  }
  const bool async = options_.preload == Preload::kHost && options_.device.is_cuda();
  x = x.to(options_.device, /*non_blocking=*/async);
  y = y.to(options_.device, /*non_blocking=*/async);
  Batch out;
  out.x = x.to(torch::kFloat).sub_(mean_).mul_(inv_std_);
  out.y = y;
  return out;
}

}  // namespace eden::data
