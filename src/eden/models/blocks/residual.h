// ResNet residual blocks (torchvision names: conv1, bn1, conv2, bn2, [conv3, bn3], downsample).
#pragma once

#include <torch/torch.h>

namespace eden::models {

struct ResidualBlockOptions {
  ResidualBlockOptions(int64_t in, int64_t planes) : in_(in), planes_(planes) {}
  TORCH_ARG(int64_t, in);
  /// Bottleneck width; the block outputs planes * expansion channels.
  TORCH_ARG(int64_t, planes);
  TORCH_ARG(int64_t, stride) = 1;
};

/// 3x3 -> 3x3 block of ResNet-18/34 (expansion 1).
class BasicBlockImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 1;
  explicit BasicBlockImpl(const ResidualBlockOptions& options);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(BasicBlock);

/// 1x1 -> 3x3 (stride here, v1.5) -> 1x1 block of ResNet-50/101/152 (expansion 4).
class BottleneckImpl : public torch::nn::Module {
 public:
  static constexpr int64_t kExpansion = 4;
  explicit BottleneckImpl(const ResidualBlockOptions& options);
  torch::Tensor forward(torch::Tensor x);

  torch::nn::Conv2d conv1{nullptr}, conv2{nullptr}, conv3{nullptr};
  torch::nn::BatchNorm2d bn1{nullptr}, bn2{nullptr}, bn3{nullptr};
  torch::nn::Sequential downsample{nullptr};
};
TORCH_MODULE(Bottleneck);

}  // namespace eden::models
