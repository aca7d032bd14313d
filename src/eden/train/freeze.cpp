// Backbone freezing, BN policy and the L1 regulariser.
#include "eden/train/freeze.h"

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

std::vector<torch::Tensor> l1_targets(torch::nn::Module& model) {
  std::vector<torch::Tensor> out;
  for (auto& p : model.parameters()) {
    if (p.requires_grad() && p.dim() >= 2) out.push_back(p);
  }
  return out;
}

torch::Tensor l1_penalty(const std::vector<torch::Tensor>& weights, double lambda) {
  auto total =
      torch::zeros({}, torch::TensorOptions()
                           .dtype(torch::kFloat)
                           .device(weights.empty() ? torch::kCPU : weights.front().device()));
  if (lambda == 0.0) return total;
  for (const auto& w : weights) total = total + w.abs().sum();
  return total * lambda;
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
