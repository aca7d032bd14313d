// cvnets' ConvLayer: conv -> [BatchNorm] -> [activation] under a child named "block", so state
// dicts carry the authors' names (`conv_1.block.conv.weight`, `conv_1.block.norm.running_mean`).
#pragma once

#include <torch/torch.h>

#include "eden/models/blocks/conv_bn_act.h"

namespace eden::models {

struct ConvLayerOptions {
  ConvLayerOptions(int64_t in, int64_t out, int64_t kernel) : in_(in), out_(out), kernel_(kernel) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  /// Square kernel; padding is kernel / 2.
  TORCH_ARG(int64_t, kernel);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  /// Conv bias (cvnets uses one only where there is no norm).
  TORCH_ARG(bool, bias) = false;
  /// BatchNorm2d after the conv ("block.norm").
  TORCH_ARG(bool, norm) = true;
  /// Activation after the norm ("block.act", no parameters); kNone for a linear layer.
  TORCH_ARG(Activation, activation) = Activation::kSiLU;
};

/// Example: a depthwise 3x3 with BN and SiLU, as MobileViT's local representation:
///   ConvLayer(ConvLayerOptions(64, 64, 3).groups(64))
class ConvLayerImpl : public torch::nn::Module {
 public:
  explicit ConvLayerImpl(const ConvLayerOptions& options);
  /// (B, in, H, W) -> (B, out, H / stride, W / stride).
  torch::Tensor forward(torch::Tensor x);

  ConvLayerOptions options;
  torch::nn::Sequential block{nullptr};  // conv [, norm] [, act]
  torch::nn::Conv2d conv{nullptr};       // block.conv
  torch::nn::BatchNorm2d norm{nullptr};  // block.norm, or empty
};
TORCH_MODULE(ConvLayer);

}  // namespace eden::models
