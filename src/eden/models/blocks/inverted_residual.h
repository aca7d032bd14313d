// MobileNetV2's inverted residual (1x1 expand -> depthwise 3x3 -> linear 1x1 project), shared by
// MobileNetV2 (torchvision names) and both MobileViTv3 families (cvnets names).
#pragma once

#include <torch/torch.h>

#include "eden/models/blocks/conv_norm_act.h"

namespace eden::models {

/// The rounding of channel counts used by MobileNetV2, cvnets and torchvision: the multiple of
/// `divisor` nearest to `value`, at least `min_value` (default: divisor), and never more than
/// 10% below `value`.
int64_t make_divisible(double value, int64_t divisor, int64_t min_value = 0);

struct InvertedResidualOptions {
  InvertedResidualOptions(int64_t in, int64_t out, int64_t stride, double expand_ratio)
      : in_(in), out_(out), stride_(stride), expand_ratio_(expand_ratio) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  /// Stride of the depthwise conv (1 or 2).
  TORCH_ARG(int64_t, stride);
  /// Hidden width = in * expand_ratio, rounded (cvnets: make_divisible(., 8)).
  TORCH_ARG(double, expand_ratio);
  TORCH_ARG(Activation, activation) = Activation::kSiLU;
  /// kCvnets: block.{exp_1x1,conv_3x3,red_1x1}.block.{conv,norm}; kTorchvision:
  /// conv.{0.0, 0.1, 1.0, 1.1, 2, 3} (conv.{0.0, 0.1, 1, 2} without expansion).
  TORCH_ARG(BlockNaming, naming) = BlockNaming::kCvnets;
};

/// Example: MobileNetV2's second block, torchvision names:
///   InvertedResidual(InvertedResidualOptions(16, 24, 2, 6).activation(Activation::kReLU6)
///                        .naming(BlockNaming::kTorchvision))
/// The input is added back when stride == 1 and in == out.
class InvertedResidualImpl : public torch::nn::Module {
 public:
  explicit InvertedResidualImpl(const InvertedResidualOptions& options);
  /// (B, in, H, W) -> (B, out, H / stride, W / stride).
  torch::Tensor forward(torch::Tensor x);

  int64_t hidden_channels() const { return hidden_; }
  bool has_residual() const { return residual_; }

  InvertedResidualOptions options;
  torch::nn::Sequential body{nullptr};  // registered as "block" (cvnets) or "conv" (torchvision)

 private:
  int64_t hidden_ = 0;
  bool residual_ = false;
};
TORCH_MODULE(InvertedResidual);

}  // namespace eden::models
