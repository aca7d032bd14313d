// MobileViTv3-XXS/XS/S and their low-latency -L2 variants (Wadekar & Chaurasia 2022; the
// MobileViTv1-based family). Module names are the authors' cvnets checkpoint keys.
#pragma once

#include <array>

#include "eden/models/blocks/conv_norm_act.h"
#include "eden/models/classifier.h"

namespace eden::models {

/// One of layer_3..layer_5: a stride-2 inverted residual, then a MobileViTv3 block.
struct MobileViTv3Stage {
  int64_t channels;    ///< C, output of the stride-2 inverted residual and of the block
  int64_t embed_dim;   ///< transformer width d
  int64_t ffn_dim;     ///< transformer FFN width
  int64_t num_layers;  ///< transformer layers L
};

/// layer_3, layer_4, layer_5.
using MobileViTv3Stages = std::array<MobileViTv3Stage, 3>;

struct MobileViTv3Options {
  /// The authors' `xx_small_v3`, `x_small_v3`, `small_v3` configurations.
  static MobileViTv3Options xxs();
  static MobileViTv3Options xs();
  static MobileViTv3Options s();
  /// Low-latency variants (`*_v3_fast`): layer_4 has 2 transformer layers instead of 4.
  static MobileViTv3Options xxs_l2();
  static MobileViTv3Options xs_l2();
  static MobileViTv3Options s_l2();

  /// Classes, input channels, image size.
  TORCH_ARG(ModelOptions, base);
  /// Expansion of every inverted residual.
  TORCH_ARG(double, expansion) = 2.0;
  /// Output channels of layer_1 (one inverted residual) and layer_2 (three).
  TORCH_ARG(int64_t, layer1_channels) = 16;
  TORCH_ARG(int64_t, layer2_channels) = 24;
  /// layer_3, layer_4, layer_5.
  TORCH_ARG(MobileViTv3Stages, stages) = {};
  TORCH_ARG(int64_t, num_heads) = 4;
  /// Dropout after attention and FFN in the transformers (cvnets `mit.dropout`).
  TORCH_ARG(double, transformer_dropout) = 0.1;
  /// Dropout before the classifier's linear layer.
  TORCH_ARG(double, classifier_dropout) = 0.1;
};

/// Backbone: conv_1 (3x3 s2), layer_1 .. layer_5, conv_1x1_exp (1x1 to min(4 * C5, 960)),
/// global average pool. Head: "classifier" = [dropout, fc].
/// Example: MobileViTv3(MobileViTv3Options::xxs().base(ModelOptions().num_classes(10)))
class MobileViTv3Impl : public ClassifierImpl {
 public:
  explicit MobileViTv3Impl(const MobileViTv3Options& options);
  torch::Tensor forward_features(torch::Tensor x) override;
  torch::Tensor forward_head(torch::Tensor features) override;
  std::vector<std::string> head_modules() const override { return {"classifier"}; }

  MobileViTv3Options options;
  ConvNormAct conv_1{nullptr}, conv_1x1_exp{nullptr};
  torch::nn::Sequential layer_1{nullptr}, layer_2{nullptr}, layer_3{nullptr}, layer_4{nullptr},
      layer_5{nullptr};
  torch::nn::Sequential classifier{nullptr};  // dropout, fc
};
TORCH_MODULE(MobileViTv3);

/// Fills `tensor` with normal(0, std) samples truncated to [lo, hi] (absolute bounds).
void trunc_normal_(torch::Tensor& tensor, double std, double lo, double hi);

}  // namespace eden::models
