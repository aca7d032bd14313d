// Backbone freezing, BN policy and weight sparsity.
#include "eden/train/freeze.h"

#include <fmt/format.h>

#include <optional>

namespace eden::train {

void set_backbone_trainable(models::ClassifierImpl& model, bool trainable) {
  for (auto& item : model.named_parameters()) {
    if (model.is_head(item.key())) continue;
    auto& p = item.value();
    p.requires_grad_(trainable);
    if (!trainable) p.mutable_grad().reset();
  }
}

void freeze_backbone_batchnorm(models::ClassifierImpl& model) {
  for (auto& item : model.named_modules("", /*include_self=*/false)) {
    if (model.is_head(item.key())) continue;
    auto& m = item.value();
    if (m->as<torch::nn::BatchNorm2d>() != nullptr || m->as<torch::nn::BatchNorm1d>() != nullptr) {
      m->eval();
    }
  }
}

namespace {

/// p of a dropout module of any torch::nn kind; nullopt for other modules.
std::optional<double> dropout_p(torch::nn::Module& m) {
  if (auto* d = m.as<torch::nn::DropoutImpl>()) return d->options.p();
  if (auto* d = m.as<torch::nn::Dropout2dImpl>()) return d->options.p();
  if (auto* d = m.as<torch::nn::Dropout3dImpl>()) return d->options.p();
  if (auto* d = m.as<torch::nn::AlphaDropoutImpl>()) return d->options.p();
  if (auto* d = m.as<torch::nn::FeatureAlphaDropoutImpl>()) return d->options.p();
  return std::nullopt;
}

}  // namespace

void freeze_backbone_dropout(models::ClassifierImpl& model) {
  for (auto& item : model.named_modules("", /*include_self=*/false)) {
    if (!model.is_head(item.key()) && dropout_p(*item.value())) item.value()->eval();
  }
}

std::vector<std::string> backbone_dropouts(models::ClassifierImpl& model) {
  std::vector<std::string> out;
  for (auto& item : model.named_modules("", /*include_self=*/false)) {
    if (model.is_head(item.key())) continue;
    const auto p = dropout_p(*item.value());
    if (p && *p > 0.0) out.push_back(fmt::format("{} (p = {:g})", item.key(), *p));
  }
  return out;
}

double weight_sparsity(torch::nn::Module& model, double threshold) {
  torch::NoGradGuard no_grad;
  int64_t small = 0, total = 0;
  for (auto& p : model.parameters()) {
    if (p.dim() < 2) continue;
    small += p.abs().lt(threshold).sum().item<int64_t>();
    total += p.numel();
  }
  return total == 0 ? 0.0 : static_cast<double>(small) / static_cast<double>(total);
}

}  // namespace eden::train
