// cvnets-style conv layer.
#include "eden/models/blocks/conv_layer.h"

#include "eden/models/blocks/activation.h"

namespace eden::models {

ConvLayerImpl::ConvLayerImpl(const ConvLayerOptions& options_) : options(options_) {
  conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(options.in(), options.out(), options.kernel())
                               .stride(options.stride())
                               .padding(options.kernel() / 2)
                               .groups(options.groups())
                               .bias(options.bias()));
  block = torch::nn::Sequential();
  block->push_back("conv", conv);
  if (options.norm()) {
    norm = torch::nn::BatchNorm2d(options.out());
    block->push_back("norm", norm);
  }
  if (options.activation() != Activation::kNone) {
    block->push_back("act", ActivationLayer(options.activation()));
  }
  register_module("block", block);
}

torch::Tensor ConvLayerImpl::forward(torch::Tensor x) {
  return block->forward(x);
}

}  // namespace eden::models
