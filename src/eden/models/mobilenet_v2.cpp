// MobileNetV2 assembly and torchvision's initialisation (Kaiming fan-out convs, BN = identity,
// classifier normal(0, 0.01)).
#include "eden/models/mobilenet_v2.h"

#include <algorithm>

#include "eden/models/blocks/conv_norm_act.h"
#include "eden/models/blocks/dropout.h"
#include "eden/models/blocks/inverted_residual.h"

namespace eden::models {
namespace {

struct StageSpec {
  int64_t expand, channels, repeats, stride;
};
constexpr StageSpec kStages[] = {{1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2}, {6, 64, 4, 2},
                                 {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1}};

ConvNormAct conv_bn_relu6(int64_t in, int64_t out, int64_t kernel, int64_t stride) {
  return ConvNormAct(ConvNormActOptions(in, out, kernel)
                         .stride(stride)
                         .activation(Activation::kReLU6)
                         .naming(BlockNaming::kTorchvision));
}

}  // namespace

MobileNetV2Impl::MobileNetV2Impl(const MobileNetV2Options& options_) : options(options_) {
  const double w = options.width_multiplier();
  int64_t in = make_divisible(32 * w, 8);
  const int64_t last = make_divisible(1280 * std::max(1.0, w), 8);
  features = torch::nn::Sequential(conv_bn_relu6(options.base().in_channels(), in, 3, 2));
  for (const auto& st : kStages) {
    const int64_t out = make_divisible(static_cast<double>(st.channels) * w, 8);
    for (int64_t i = 0; i < st.repeats; ++i) {
      features->push_back(InvertedResidual(
          InvertedResidualOptions(in, out, i == 0 ? st.stride : 1, static_cast<double>(st.expand))
              .activation(Activation::kReLU6)
              .naming(BlockNaming::kTorchvision)));
      in = out;
    }
  }
  features->push_back(conv_bn_relu6(in, last, 1, 1));
  register_module("features", features);
  classifier = register_module(
      "classifier", torch::nn::Sequential(Dropout(options.dropout()),
                                          torch::nn::Linear(last, options.base().num_classes())));

  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut);
      if (c->bias.defined()) torch::nn::init::zeros_(c->bias);
    } else if (auto* l = m->as<torch::nn::Linear>()) {
      torch::nn::init::normal_(l->weight, 0.0, 0.01);
      torch::nn::init::zeros_(l->bias);
    }
  }
}

torch::Tensor MobileNetV2Impl::forward_features(torch::Tensor x) {
  return torch::adaptive_avg_pool2d(features->forward(x), {1, 1}).flatten(1);  // (B, 1280)
}

torch::Tensor MobileNetV2Impl::forward_head(torch::Tensor features_) {
  return classifier->forward(features_);
}

}  // namespace eden::models
