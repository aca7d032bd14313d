// The interface every EDEN model implements: a backbone (forward_features) and a head
// (forward_head), so the trainer can freeze one and train the other.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <string>
#include <vector>

namespace eden::models {

/// Construction options shared by every registered model.
struct ModelOptions {
  /// Number of output classes.
  TORCH_ARG(int64_t, num_classes) = 1000;
  /// Input channels: 1 for grayscale data, 3 for RGB.
  TORCH_ARG(int64_t, in_channels) = 3;
  /// Nominal input size in pixels (used for MAC counts and size-dependent layers).
  TORCH_ARG(int64_t, image_size) = 224;
};

/// An image classifier split into backbone and head.
class ClassifierImpl : public torch::nn::Module {
 public:
  using torch::nn::Module::Module;

  /// (B, C, H, W) float -> (B, F) pooled backbone features.
  virtual torch::Tensor forward_features(torch::Tensor x) = 0;
  /// (B, F) features -> (B, num_classes) logits.
  virtual torch::Tensor forward_head(torch::Tensor features) = 0;
  /// (B, C, H, W) -> (B, num_classes) logits.
  torch::Tensor forward(torch::Tensor x) { return forward_head(forward_features(x)); }

  /// Names of the direct submodules that form the head (e.g. {"fc"}); the rest is backbone.
  virtual std::vector<std::string> head_modules() const = 0;

  /// True when the parameter or module named `name` (as in named_parameters()) is in the head.
  bool is_head(const std::string& name) const;
};

using Classifier = std::shared_ptr<ClassifierImpl>;

}  // namespace eden::models
