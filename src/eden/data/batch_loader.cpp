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
  constexpr int64_t kEncodedSample = 2048;
  const auto images =
      ds.is_encoded()
          ? ds.gather(torch::linspace(0, ds.size() - 1, std::min(ds.size(), kEncodedSample))
                          .round()
                          .to(torch::kLong))
          : ds.images;
  const auto per_channel = images.transpose(0, 1).reshape({ds.channels(), -1});
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
  EDEN_ASSERT(options_.shard_count >= 1 && options_.shard_rank >= 0 &&
                  options_.shard_rank < options_.shard_count,
              "shard ", options_.shard_rank, " of ", options_.shard_count);
  const int64_t c = ds.channels();
  if (options_.norm.mean.empty()) {
    options_.norm.mean.assign(c, 0.5);
    options_.norm.std.assign(c, 0.5);
  }
  EDEN_CHECK(static_cast<int64_t>(options_.norm.mean.size()) == c &&
                 static_cast<int64_t>(options_.norm.std.size()) == c,
             "normalisation has ", options_.norm.mean.size(), " channels, data has ", c);

  EDEN_CHECK(options_.rrc_scale_min > 0 && options_.rrc_scale_min <= 1 &&
                 options_.rrc_ratio_min > 0 && options_.rrc_ratio_min <= options_.rrc_ratio_max,
             "random-resized-crop: bad scale/ratio range");
  const bool on_device = options_.preload == Preload::kDevice;
  EDEN_CHECK(!on_device || options_.device.is_cuda(),
             "--preload device needs a CUDA device (got --device ", options_.device.str(), ")");
  EDEN_CHECK(!on_device || !ds.is_encoded(),
             "--preload device: the data set is held encoded (it does not fit the memory budget "
             "decoded); hint: --preload host");
  if (ds.is_encoded()) {
    encoded_ = ds;
    labels_ = ds.labels;
  } else if (on_device) {
    images_ = ds.images.to(options_.device);
    labels_ = ds.labels.to(options_.device);
  } else if (options_.device.is_cuda()) {
    // async host->device copies; image folders are allocated pinned already
    images_ = ds.images.is_pinned() ? ds.images : ds.images.pin_memory();
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

BatchLoader::~BatchLoader() {
  try {
    if (prefetch_.valid()) prefetch_.wait();
  } catch (...) {  // NOLINT(bugprone-empty-catch): a destructor only waits
  }
}

void BatchLoader::set_epoch(int64_t epoch) {
  if (prefetch_.valid()) prefetch_.wait();  // decoded for the old order: discard
  prefetch_ = {};
  prefetched_ = -1;
  epoch_ = epoch;
  const int64_t n = labels_.size(0);
  if (options_.shuffle) {
    auto gen = make_generator(options_.seed, epoch, -1);
    order_ = torch::randperm(n, gen, torch::kLong);
  } else {
    order_ = torch::arange(n, torch::kLong);
  }
  order_ = order_.to(labels_.device());
}

int64_t BatchLoader::num_batches() const {
  const int64_t n = labels_.size(0);
  const int64_t b = options_.batch_size * options_.shard_count;
  return options_.drop_last ? n / b : (n + b - 1) / b;
}

int64_t BatchLoader::global_batch_samples(int64_t i) const {
  const int64_t global = options_.batch_size * options_.shard_count;
  return std::min(global, labels_.size(0) - i * global);
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

torch::Tensor BatchLoader::batch_indices(int64_t i) const {
  const int64_t start = i * options_.batch_size * options_.shard_count;
  const int64_t len = global_batch_samples(i);
  const int64_t lo = options_.shard_rank * len / options_.shard_count;
  const int64_t hi = (options_.shard_rank + 1) * len / options_.shard_count;
  return order_.narrow(0, start + lo, hi - lo);
}

torch::Tensor BatchLoader::pixels(int64_t i) const {
  if (!encoded_.is_encoded()) return images_.index_select(0, batch_indices(i));  // one gather
  torch::Tensor x;
  if (prefetched_ == i && prefetch_.valid()) {
    x = prefetch_.get();
  } else {
    if (prefetch_.valid()) prefetch_.wait();
    x = encoded_.gather(batch_indices(i));
  }
  prefetched_ = -1;
  if (i + 1 < num_batches()) {  // decode the next batch while this one trains
    prefetched_ = i + 1;
    prefetch_ = std::async(std::launch::async,
                           [this, idx = batch_indices(i + 1)] { return encoded_.gather(idx); });
  }
  return x;
}

torch::Tensor BatchLoader::random_resized_crop(const torch::Tensor& x, at::Generator& gen) const {
  // torchvision's RandomResizedCrop.get_params, vectorised: 10 draws per sample, the first that
  // fits wins, else a centre crop at the clamped aspect ratio.
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3);
  constexpr int64_t kTries = 10;
  auto dopt = torch::TensorOptions().dtype(torch::kDouble);
  const double area = static_cast<double>(h * w);
  auto target =
      torch::rand({b, kTries}, gen, dopt) * (1.0 - options_.rrc_scale_min) + options_.rrc_scale_min;
  target = target * area;
  const double lr0 = std::log(options_.rrc_ratio_min), lr1 = std::log(options_.rrc_ratio_max);
  auto aspect = torch::exp(torch::rand({b, kTries}, gen, dopt) * (lr1 - lr0) + lr0);
  auto cw = torch::sqrt(target * aspect).round();
  auto ch = torch::sqrt(target / aspect).round();
  auto ok = (cw > 0) & (cw <= w) & (ch > 0) & (ch <= h);
  auto first = ok.to(torch::kInt).argmax(1, /*keepdim=*/true);  // first fitting try
  auto any = ok.any(1);
  // fallback: whole image at the clamped ratio
  const double in_ratio = static_cast<double>(w) / static_cast<double>(h);
  double fw = static_cast<double>(w), fh = static_cast<double>(h);
  if (in_ratio < options_.rrc_ratio_min) {
    fh = std::round(fw / options_.rrc_ratio_min);
  } else if (in_ratio > options_.rrc_ratio_max) {
    fw = std::round(fh * options_.rrc_ratio_max);
  }
  cw = torch::where(any, cw.gather(1, first).squeeze(1), torch::full({b}, fw, dopt));
  ch = torch::where(any, ch.gather(1, first).squeeze(1), torch::full({b}, fh, dopt));
  auto u = torch::rand({2, b}, gen, dopt);
  auto top = torch::where(any, (u[0] * (h - ch + 1)).floor(), ((h - ch) / 2).floor());
  auto left = torch::where(any, (u[1] * (w - cw + 1)).floor(), ((w - cw) / 2).floor());
  // Affine map from output to input in grid_sample's [-1, 1] coordinates (align_corners=false).
  auto theta = torch::zeros({b, 2, 3}, dopt);
  theta.select(1, 0).select(1, 0).copy_(cw / w);
  theta.select(1, 0).select(1, 2).copy_((2 * left + cw) / w - 1);
  theta.select(1, 1).select(1, 1).copy_(ch / h);
  theta.select(1, 1).select(1, 2).copy_((2 * top + ch) / h - 1);
  theta = theta.to(x.options());
  const auto grid = torch::nn::functional::affine_grid(theta, {b, x.size(1), h, w},
                                                       /*align_corners=*/false);
  namespace F = torch::nn::functional;
  return F::grid_sample(x, grid,
                        F::GridSampleFuncOptions()
                            .mode(torch::kBilinear)
                            .padding_mode(torch::kBorder)
                            .align_corners(false));
}

Batch BatchLoader::targets(int64_t i) const {
  EDEN_ASSERT(i >= 0 && i < num_batches(), "batch index ", i, " of ", num_batches());
  const auto index = batch_indices(i);
  const bool async = options_.preload == Preload::kHost && options_.device.is_cuda();
  return {torch::Tensor(), labels_.index_select(0, index).to(options_.device, async), index};
}

Batch BatchLoader::batch(int64_t i) const {
  EDEN_ASSERT(i >= 0 && i < num_batches(), "batch index ", i, " of ", num_batches());
  auto x = pixels(i);  // (B, C, H, W) uint8
  const auto index = batch_indices(i);
  auto y = labels_.index_select(0, index);
  if (y.size(0) == 0) {  // this rank's part of a short last batch
    return {x.to(options_.device).to(torch::kFloat), y.to(options_.device), index};
  }
  if (augmentation_ && (options_.crop_padding > 0 || options_.hflip)) {
    auto gen =
        make_generator(options_.seed, epoch_, i * options_.shard_count + options_.shard_rank);
    x = augment(x, gen);
  }
  const bool async = options_.preload == Preload::kHost && options_.device.is_cuda();
  x = x.to(options_.device, /*non_blocking=*/async);
  y = y.to(options_.device, /*non_blocking=*/async);
  Batch out;
  out.x = x.to(torch::kFloat);
  if (augmentation_ && options_.random_resized_crop) {
    auto gen = make_generator(options_.seed, epoch_,
                              i * options_.shard_count + options_.shard_rank + (int64_t{1} << 40));
    out.x = random_resized_crop(out.x, gen);
  }
  out.x.sub_(mean_).mul_(inv_std_);
  out.y = y;
  out.index = index;
  return out;
}

}  // namespace eden::data
