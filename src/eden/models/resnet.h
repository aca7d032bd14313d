// ResNet (He et al. 2016) in torchvision's v1.5 layout, so state dicts map name for name.
#pragma once

#include <array>

#include "eden/models/blocks/residual.h"
#include "eden/models/classifier.h"

namespace eden::models {

/// Blocks per stage (layer1..layer4).
using StageDepths = std::array<int64_t, 4>;

struct ResNetOptions {
  static ResNetOptions resnet18() { return ResNetOptions().layers({2, 2, 2, 2}); }
  static ResNetOptions resnet50() { return ResNetOptions().layers({3, 4, 6, 3}).bottleneck(true); }

  /// Classes, input channels, image size.
  TORCH_ARG(ModelOptions, base);
  /// Blocks per stage.
  TORCH_ARG(StageDepths, layers) = {2, 2, 2, 2};
  /// Bottleneck blocks (ResNet-50 and up) instead of basic blocks.
  TORCH_ARG(bool, bottleneck) = false;
};

/// Backbone: conv1, bn1, maxpool, layer1..layer4, global average pool. Head: "fc".
class ResNetImpl : public ClassifierImpl {
 public:
  explicit ResNetImpl(const ResNetOptions& options);
  torch::Tensor forward_features(torch::Tensor x) override;
  torch::Tensor forward_head(torch::Tensor features) override { return fc->forward(features); }
  std::vector<std::string> head_modules() const override { return {"fc"}; }

  ResNetOptions options;
  torch::nn::Conv2d conv1{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr};
  torch::nn::MaxPool2d maxpool{nullptr};
  torch::nn::Sequential layer1{nullptr}, layer2{nullptr}, layer3{nullptr}, layer4{nullptr};
  torch::nn::Linear fc{nullptr};
};
TORCH_MODULE(ResNet);

}  // namespace eden::models
