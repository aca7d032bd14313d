// Container helpers for matching reference module trees: a parameter-free activation module (it
// keeps the child indices of torchvision's Conv2dNormActivation) and a Sequential that can nest.
#pragma once

#include <torch/torch.h>

#include "eden/models/blocks/conv_bn_act.h"

namespace eden::models {

/// Applies apply_activation(x, activation); holds no parameters.
class ActivationLayerImpl : public torch::nn::Module {
 public:
  explicit ActivationLayerImpl(Activation activation) : activation_(activation) {}
  torch::Tensor forward(torch::Tensor x) { return apply_activation(x, activation_); }
  Activation activation() const { return activation_; }
  void pretty_print(std::ostream& stream) const override;

 private:
  Activation activation_;
};
TORCH_MODULE(ActivationLayer);

/// A torch::nn::Sequential with a plain Tensor -> Tensor forward, so it can sit inside another
/// Sequential (LibTorch refuses to nest Sequential directly).
class SequentialBlockImpl : public torch::nn::SequentialImpl {
 public:
  using torch::nn::SequentialImpl::SequentialImpl;
  torch::Tensor forward(torch::Tensor x) { return torch::nn::SequentialImpl::forward(x); }
};
TORCH_MODULE(SequentialBlock);

}  // namespace eden::models
