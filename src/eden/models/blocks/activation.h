// A parameter-free activation module, for Sequentials whose child indices must match a
// reference (cvnets' transformer FFN: Linear at 1, activation at 2, Linear at 4).
#pragma once

#include <torch/torch.h>

#include "eden/models/blocks/conv_norm_act.h"

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

}  // namespace eden::models
