// FeatureCachePlan rules and the per-set feature store (see feature_cache.h).
#include "eden/train/feature_cache.h"

#include <fmt/format.h>

#include <algorithm>
#include <vector>

#include "eden/train/freeze.h"
#include "eden/util/check.h"
#include "eden/util/units.h"

namespace eden::train {
namespace {

std::string joined(const std::vector<std::string>& items, size_t shown) {
  std::string out;
  for (size_t i = 0; i < std::min(shown, items.size()); ++i) out += (i ? ", " : "") + items[i];
  if (items.size() > shown) out += fmt::format(" and {} more", items.size() - shown);
  return out;
}

}  // namespace

std::string FeatureCachePlan::summary() const {
  const char* what = train && eval ? "training and evaluation features"
                     : eval        ? "evaluation features only"
                                   : "off";
  std::string out = fmt::format("frozen cache: {} (--frozen-cache {})", what, mode);
  if (!reason.empty()) out += (train || !eval ? ": " : ": training features not cached: ") + reason;
  return out;
}

nlohmann::json FeatureCachePlan::to_json() const {
  return {{"mode", mode},
          {"train", train},
          {"eval", eval},
          {"augmentation_off", augmentation_off},
          {"dropout_off", dropout_off},
          {"reason", reason}};
}

FeatureCachePlan plan_feature_cache(const TrainConfig& cfg, models::ClassifierImpl& model,
                                    const std::string& augmentation) {
  FeatureCachePlan p;
  p.mode = cfg.frozen_cache;
  if (cfg.frozen_cache == "off") return p;
  if (cfg.unfreeze_epoch == 0) {
    p.reason = "no frozen epochs (--unfreeze-epoch 0)";
    return p;
  }
  if (cfg.unfreeze_epoch == 1 || cfg.epochs == 1) {
    p.reason = "one frozen epoch: no later one would read the cache";
    return p;
  }
  if (cfg.frozen_bn != "eval") {
    p.reason =
        "--frozen-bn train: the frozen backbone's BatchNorm statistics change at every step, and "
        "its features with them; hint: --frozen-bn eval";
    return p;
  }
  p.eval = true;  // evaluation runs the backbone in eval mode on fixed images: always the same
  const std::vector<std::string> dropouts =
      cfg.frozen_dropout == "train" ? backbone_dropouts(model) : std::vector<std::string>{};
  if (cfg.frozen_cache == "on") {
    p.train = true;
    p.augmentation_off = !augmentation.empty();
    p.dropout_off = !dropouts.empty();
    std::vector<std::string> changed;
    if (p.augmentation_off) {
      changed.push_back(fmt::format("random augmentation ({}) off", augmentation));
    }
    if (p.dropout_off) changed.emplace_back("the backbone's dropout off");
    if (!changed.empty()) p.reason = joined(changed, 2) + " for the frozen epochs";
    return p;
  }
  if (!augmentation.empty()) {
    p.reason = fmt::format(
        "random augmentation ({}) changes the images every epoch; hint: --frozen-cache on turns "
        "it off for the frozen epochs, --augment none everywhere",
        augmentation);
  } else if (!dropouts.empty()) {
    p.reason = fmt::format(
        "dropout is active in the frozen backbone ({}) with --frozen-dropout train; hint: "
        "--frozen-dropout eval",
        joined(dropouts, 2));
  } else {
    p.train = true;
  }
  return p;
}

FeatureCache::FeatureCache(std::string what, int64_t samples, torch::Device store_device)
    : what_(std::move(what)), samples_(samples), device_(store_device) {}

void FeatureCache::begin_fill() {
  EDEN_ASSERT(!ready_, "the ", what_, " feature cache is filled already");
  filling_ = !off();
}

void FeatureCache::put(const torch::Tensor& index, const torch::Tensor& features,
                       int64_t budget_bytes) {
  if (!filling_ || index.numel() == 0) return;
  EDEN_ASSERT(features.dim() == 2 && features.size(0) == index.numel(), "features ",
              features.sizes(), " for ", index.numel(), " rows");
  if (!store_.defined()) {
    const int64_t dim = features.size(1);
    const int64_t need = samples_ * dim * static_cast<int64_t>(features.element_size());
    if (need > budget_bytes) {
      reason_ = fmt::format(
          "the {} set's features need {} ({} x {} {}), more than the {} the memory budget leaves; "
          "hint: --memory-budget",
          what_, bytes_text(need), samples_, dim, c10::toString(features.scalar_type()),
          bytes_text(std::max<int64_t>(0, budget_bytes)));
      filling_ = false;
      return;
    }
    try {
      // Zeros: in a group the exchange sums the ranks' stores, each row written by one rank.
      store_ = torch::zeros({samples_, dim}, features.options().device(device_));
    } catch (const c10::Error& e) {
      reason_ = fmt::format("the {} set's features ({}) could not be allocated on {}: {}", what_,
                            bytes_text(need), device_.str(), e.what_without_backtrace());
      filling_ = false;
      return;
    }
  }
  store_.index_copy_(0, index.to(device_), features.detach().to(device_, store_.scalar_type()));
}

void FeatureCache::end_fill(dist::ProcessGroup* group, bool exchange) {
  const bool filled = filling_ && store_.defined();
  filling_ = false;
  if (group != nullptr && exchange) {
    // Every rank must hold every row, or none does: the next epoch deals rows to other ranks.
    const bool any_off = group->max_over_ranks(filled ? 0 : 1, "the feature cache") != 0;
    if (any_off) {
      if (!off()) reason_ = "another rank's " + what_ + " feature cache is over its memory budget";
      store_ = torch::Tensor();
      return;
    }
    auto sum = store_.to(torch::kCPU, torch::kFloat);  // exact: each row is x + 0 + ... + 0
    group->allreduce_sum(sum, "cached features");
    store_.copy_(sum);
  }
  ready_ = filled;
}

torch::Tensor FeatureCache::get(const torch::Tensor& index, torch::Device device) const {
  EDEN_ASSERT(ready_, "the ", what_, " feature cache is not filled");
  return store_.index_select(0, index.to(device_)).to(device);
}

void FeatureCache::release() {
  store_ = torch::Tensor();
  filling_ = false;
  ready_ = false;
}

}  // namespace eden::train
