// ResNet BasicBlock and Bottleneck.
#include "eden/models/blocks/residual.h"

namespace eden::models {
namespace {

torch::nn::Conv2d conv(int64_t in, int64_t out, int64_t k, int64_t stride) {
  return torch::nn::Conv2d(
      torch::nn::Conv2dOptions(in, out, k).stride(stride).padding(k / 2).bias(false));
}

/// 1x1 projection when the shape changes, else an empty holder.
torch::nn::Sequential make_downsample(int64_t in, int64_t out, int64_t stride) {
  if (stride == 1 && in == out) return nullptr;
  return torch::nn::Sequential(conv(in, out, 1, stride), torch::nn::BatchNorm2d(out));
}

}  // namespace

BasicBlockImpl::BasicBlockImpl(const ResidualBlockOptions& o) {
  const int64_t out = o.planes() * kExpansion;
  conv1 = register_module("conv1", conv(o.in(), o.planes(), 3, o.stride()));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(o.planes()));
  conv2 = register_module("conv2", conv(o.planes(), out, 3, 1));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(out));
  downsample = make_downsample(o.in(), out, o.stride());
  if (downsample) register_module("downsample", downsample);
}

torch::Tensor BasicBlockImpl::forward(torch::Tensor x) {
  // In-place ReLU and add (as torchvision): BN and add backward need no outputs, and it
  // saves an allocation and a memory pass per op.
  auto y = bn1->forward(conv1->forward(x)).relu_();
  y = bn2->forward(conv2->forward(y));
  y += downsample ? downsample->forward(x) : x;
  return torch::relu_(y);
}

BottleneckImpl::BottleneckImpl(const ResidualBlockOptions& o) {
  const int64_t out = o.planes() * kExpansion;
  conv1 = register_module("conv1", conv(o.in(), o.planes(), 1, 1));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(o.planes()));
  conv2 = register_module("conv2", conv(o.planes(), o.planes(), 3, o.stride()));
  bn2 = register_module("bn2", torch::nn::BatchNorm2d(o.planes()));
  conv3 = register_module("conv3", conv(o.planes(), out, 1, 1));
  bn3 = register_module("bn3", torch::nn::BatchNorm2d(out));
  downsample = make_downsample(o.in(), out, o.stride());
  if (downsample) register_module("downsample", downsample);
}

torch::Tensor BottleneckImpl::forward(torch::Tensor x) {
  auto y = bn1->forward(conv1->forward(x)).relu_();
  y = bn2->forward(conv2->forward(y)).relu_();
  y = bn3->forward(conv3->forward(y));
  y += downsample ? downsample->forward(x) : x;
  return torch::relu_(y);
}

}  // namespace eden::models
