// Conv-norm-activation block and the activations.
#include "eden/models/blocks/conv_norm_act.h"

#include "eden/util/torch_compat.h"

namespace eden::models {

const char* activation_name(Activation act) {
  static const char* const kNames[] = {"Identity", "ReLU", "ReLU6", "SiLU"};
  return kNames[static_cast<int>(act)];
}

torch::Tensor apply_activation(torch::Tensor x, Activation act) {
  switch (act) {
    case Activation::kNone:
      return x;
    case Activation::kReLU:
      return torch::relu_(x);
    case Activation::kReLU6:
      return relu6_inplace(x);
    case Activation::kSiLU:
      return torch::silu(x);
  }
  return x;
}

ConvNormActImpl::ConvNormActImpl(const ConvNormActOptions& options_) : options(options_) {
  const auto& o = options;
  conv = torch::nn::Conv2d(torch::nn::Conv2dOptions(o.in(), o.out(), o.kernel())
                               .stride(o.stride())
                               .padding(o.kernel() / 2)
                               .groups(o.groups())
                               .bias(o.bias()));
  if (o.norm()) norm = torch::nn::BatchNorm2d(o.out());
  // Children under the reference's names; the activation has no parameters and no child.
  torch::nn::Module* parent = this;
  const char* conv_name = "conv";
  const char* norm_name = "norm";
  switch (o.naming()) {
    case BlockNaming::kPlain:
      norm_name = "bn";
      break;
    case BlockNaming::kCvnets:
      parent = register_module("block", std::make_shared<torch::nn::Module>("block")).get();
      break;
    case BlockNaming::kTorchvision:
      conv_name = "0";
      norm_name = "1";
      break;
  }
  parent->register_module(conv_name, conv);
  if (norm) parent->register_module(norm_name, norm);
  if (o.kaiming_init()) {
    torch::nn::init::kaiming_normal_(conv->weight, 0.0, torch::kFanOut, torch::kReLU);
  }
}

torch::Tensor ConvNormActImpl::forward(torch::Tensor x) {
  x = conv->forward(x);
  if (norm) x = norm->forward(x);
  return apply_activation(x, options.activation());
}

void ConvNormActImpl::pretty_print(std::ostream& stream) const {
  stream << "eden::models::ConvNormAct(" << options.in() << ", " << options.out()
         << ", kernel=" << options.kernel() << ", stride=" << options.stride()
         << ", groups=" << options.groups() << ", norm=" << (options.norm() ? "BN" : "none")
         << ", act=" << activation_name(options.activation()) << ")";
}

}  // namespace eden::models
