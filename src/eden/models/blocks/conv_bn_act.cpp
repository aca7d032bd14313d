// Conv-BN-activation block.
#include "eden/models/blocks/conv_bn_act.h"

namespace eden::models {

ConvBnActImpl::ConvBnActImpl(const ConvBnActOptions& options_) : options(options_) {
  conv = register_module(
      "conv",
      torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in(), options.out(), options.kernel())
                            .stride(options.stride())
                            .padding(options.kernel() / 2)
                            .groups(options.groups())
                            .bias(false)));
  bn = register_module("bn", torch::nn::BatchNorm2d(options.out()));
  torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
}

torch::Tensor ConvBnActImpl::forward(torch::Tensor x) {
  return apply_activation(bn->forward(conv->forward(x)), options.activation());
}

torch::Tensor apply_activation(torch::Tensor x, Activation act) {
  switch (act) {
    case Activation::kNone:
      return x;
    case Activation::kReLU:
      return torch::relu(x);
    case Activation::kReLU6:
      return torch::clamp(x, 0.0, 6.0);
    case Activation::kSiLU:
      return torch::silu(x);
  }
  return x;
}

}  // namespace eden::models
