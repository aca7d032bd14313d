// MobileViTv3 (v1-based) assembly, configurations and the authors' initialisation (Kaiming
// fan-out convs, truncated-normal linears with std 0.02, norms = identity).
#include "eden/models/mobilevit_v3.h"

#include <cmath>

#include "eden/models/blocks/dropout.h"
#include "eden/models/blocks/inverted_residual.h"
#include "eden/models/blocks/mobilevit_block.h"
#include "eden/models/blocks/norm.h"
#include "eden/util/check.h"

namespace eden::models {
namespace {

MobileViTv3Options make(double expansion, int64_t l1, int64_t l2, MobileViTv3Stages stages,
                        double transformer_dropout) {
  return MobileViTv3Options()
      .expansion(expansion)
      .layer1_channels(l1)
      .layer2_channels(l2)
      .stages(stages)
      .transformer_dropout(transformer_dropout);
}

MobileViTv3Options with_l2(MobileViTv3Options o) {
  auto stages = o.stages();
  stages[1].num_layers = 2;
  return o.stages(stages);
}

}  // namespace

MobileViTv3Options MobileViTv3Options::xxs() {
  return make(2, 16, 24, {{{64, 64, 128, 2}, {80, 80, 160, 4}, {128, 96, 192, 3}}}, 0.05);
}
MobileViTv3Options MobileViTv3Options::xs() {
  return make(4, 32, 48, {{{96, 96, 192, 2}, {160, 120, 240, 4}, {160, 144, 288, 3}}}, 0.1);
}
MobileViTv3Options MobileViTv3Options::s() {
  return make(4, 32, 64, {{{128, 144, 288, 2}, {256, 192, 384, 4}, {320, 240, 480, 3}}}, 0.1);
}
MobileViTv3Options MobileViTv3Options::xxs_l2() {
  return with_l2(xxs());
}
MobileViTv3Options MobileViTv3Options::xs_l2() {
  return with_l2(xs());
}
MobileViTv3Options MobileViTv3Options::s_l2() {
  return with_l2(s());
}

void trunc_normal_(torch::Tensor& tensor, double std, double lo, double hi) {
  // Inverse-CDF sampling: uniform on [cdf(lo), cdf(hi)] mapped back through erfinv.
  torch::NoGradGuard no_grad;
  const auto cdf = [](double v) { return 0.5 * (1.0 + std::erf(v / std::sqrt(2.0))); };
  const double a = cdf(lo / std), b = cdf(hi / std);
  tensor.uniform_(2 * a - 1, 2 * b - 1).erfinv_().mul_(std * std::sqrt(2.0)).clamp_(lo, hi);
}

MobileViTv3Impl::MobileViTv3Impl(const MobileViTv3Options& options_) : options(options_) {
  const auto& o = options;
  EDEN_CHECK(o.stages()[0].channels > 0,
             "MobileViTv3: stages are not configured; use "
             "MobileViTv3Options::xxs() or another preset");
  const auto ir = [&](int64_t in, int64_t out, int64_t stride) {
    return InvertedResidual(InvertedResidualOptions(in, out, stride, o.expansion()));
  };
  conv_1 = register_module(
      "conv_1", ConvNormAct(ConvNormActOptions::cvnets(o.base().in_channels(), 16, 3).stride(2)));
  layer_1 = register_module("layer_1", torch::nn::Sequential(ir(16, o.layer1_channels(), 1)));
  const int64_t l1 = o.layer1_channels(), l2 = o.layer2_channels();
  layer_2 = register_module("layer_2",
                            torch::nn::Sequential(ir(l1, l2, 2), ir(l2, l2, 1), ir(l2, l2, 1)));
  int64_t in = l2;
  torch::nn::Sequential* layers[] = {&layer_3, &layer_4, &layer_5};
  for (size_t i = 0; i < 3; ++i) {
    const auto& st = o.stages()[i];
    auto block = MobileViTv3Block(
        MobileViTv3BlockOptions(st.channels, st.embed_dim, st.ffn_dim, st.num_layers)
            .num_heads(o.num_heads())
            .dropout(o.transformer_dropout()));
    *layers[i] = register_module("layer_" + std::to_string(i + 3),
                                 torch::nn::Sequential(ir(in, st.channels, 2), block));
    in = st.channels;
  }
  const int64_t exp = std::min<int64_t>(4 * in, 960);
  conv_1x1_exp =
      register_module("conv_1x1_exp", ConvNormAct(ConvNormActOptions::cvnets(in, exp, 1)));
  classifier = torch::nn::Sequential();
  classifier->push_back("dropout", Dropout(o.classifier_dropout()));
  classifier->push_back("fc", torch::nn::Linear(exp, o.base().num_classes()));
  register_module("classifier", classifier);

  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
      if (c->bias.defined()) torch::nn::init::zeros_(c->bias);
    } else if (auto* l = m->as<torch::nn::Linear>()) {
      trunc_normal_(l->weight, 0.02, -2.0, 2.0);
      if (l->bias.defined()) torch::nn::init::zeros_(l->bias);
    }
  }
}

torch::Tensor MobileViTv3Impl::forward_features(torch::Tensor x) {
  x = layer_2->forward(layer_1->forward(conv_1->forward(x)));
  x = layer_5->forward(layer_4->forward(layer_3->forward(x)));
  return conv_1x1_exp->forward(x).mean({2, 3});  // (B, E)
}

torch::Tensor MobileViTv3Impl::forward_head(torch::Tensor features) {
  return classifier->forward(features);
}

}  // namespace eden::models
