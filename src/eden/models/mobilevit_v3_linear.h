// MobileViTv3-0.5/0.75/1.0 (the MobileViTv2-based family: separable linear attention,
// GroupNorm(1, d)), scaled by a width multiplier. Module names are the authors' cvnets keys.
#pragma once

#include "eden/models/blocks/conv_norm_act.h"
#include "eden/models/classifier.h"

namespace eden::models {

struct MobileViTv3LinearOptions {
  /// Width multiplier w: 0.5, 0.75 and 1.0 are the published models.
  static MobileViTv3LinearOptions width(double w) {
    return MobileViTv3LinearOptions().width_multiplier(w);
  }

  /// Classes, input channels, image size.
  TORCH_ARG(ModelOptions, base);
  TORCH_ARG(double, width_multiplier) = 1.0;
  /// Dropouts of the attention layers (all 0 in the published recipe).
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(double, attn_dropout) = 0.0;
  TORCH_ARG(double, ffn_dropout) = 0.0;
};

/// Channel widths derived from the width multiplier.
struct MobileViTv3LinearWidths {
  int64_t stem, layer1, layer2;
  int64_t channels[3];   ///< layer_3..layer_5 output channels
  int64_t embed_dim[3];  ///< attention widths d
  int64_t ffn_dim[3];
  int64_t num_layers[3];
};
MobileViTv3LinearWidths mobilevitv3_linear_widths(double width_multiplier);

/// Backbone: conv_1 (3x3 s2), layer_1 (1 IR), layer_2 (2 IR), layer_3..5 (IR s2 + block),
/// global average pool. Head: "classifier" = [0: pooling placeholder (Identity), 1: Linear].
/// Example: MobileViTv3Linear(MobileViTv3LinearOptions::width(0.5))
class MobileViTv3LinearImpl : public ClassifierImpl {
 public:
  explicit MobileViTv3LinearImpl(const MobileViTv3LinearOptions& options);
  torch::Tensor forward_features(torch::Tensor x) override;
  torch::Tensor forward_head(torch::Tensor features) override;
  std::vector<std::string> head_modules() const override { return {"classifier"}; }

  MobileViTv3LinearOptions options;
  ConvNormAct conv_1{nullptr};
  torch::nn::Sequential layer_1{nullptr}, layer_2{nullptr}, layer_3{nullptr}, layer_4{nullptr},
      layer_5{nullptr};
  // cvnets' classifier.0 is its global pool; pooling happens in forward_features, so index 0 is
  // an Identity that keeps the Linear at "classifier.1".
  torch::nn::Sequential classifier{nullptr};
};
TORCH_MODULE(MobileViTv3Linear);

}  // namespace eden::models
