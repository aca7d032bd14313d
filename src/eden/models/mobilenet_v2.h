// MobileNetV2 (Sandler et al. 2018) in torchvision's layout and names, the light CNN reference.
#pragma once

#include "eden/models/classifier.h"

namespace eden::models {

struct MobileNetV2Options {
  /// Classes, input channels, image size.
  TORCH_ARG(ModelOptions, base);
  /// Scales every width (rounded to multiples of 8).
  TORCH_ARG(double, width_multiplier) = 1.0;
  /// Dropout before the classifier's linear layer.
  TORCH_ARG(double, dropout) = 0.2;
};

/// Backbone: "features" = [0: 3x3 s2 conv-BN-ReLU6, 1..17: inverted residuals, 18: 1x1
/// conv-BN-ReLU6 to 1280], global average pool. Head: "classifier" = [0: Dropout, 1: Linear].
/// Example: MobileNetV2(MobileNetV2Options().base(ModelOptions().num_classes(10)))
class MobileNetV2Impl : public ClassifierImpl {
 public:
  explicit MobileNetV2Impl(const MobileNetV2Options& options);
  torch::Tensor forward_features(torch::Tensor x) override;
  torch::Tensor forward_head(torch::Tensor features) override;
  std::vector<std::string> head_modules() const override { return {"classifier"}; }

  MobileNetV2Options options;
  torch::nn::Sequential features{nullptr}, classifier{nullptr};
};
TORCH_MODULE(MobileNetV2);

}  // namespace eden::models
