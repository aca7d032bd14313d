// MobileViTv3 (v2-based) assembly. Initialisation: PyTorch defaults everywhere except the
// classifier (Xavier-uniform, zero bias), which is what the authors' code ends up doing.
#include "eden/models/mobilevit_v3_linear.h"

#include <algorithm>

#include "eden/models/blocks/inverted_residual.h"
#include "eden/models/blocks/mobilevit_block.h"
#include "eden/util/check.h"

namespace eden::models {

MobileViTv3LinearWidths mobilevitv3_linear_widths(double w) {
  EDEN_CHECK(w > 0.0 && w <= 4.0, "MobileViTv3: width multiplier must be in (0, 4], got ", w);
  MobileViTv3LinearWidths c{};
  c.stem = make_divisible(std::clamp(32.0 * w, 16.0, 64.0), 8, 16);
  c.layer1 = make_divisible(64.0 * w, 16);
  c.layer2 = make_divisible(128.0 * w, 8);
  const double out[3] = {256, 384, 512}, attn[3] = {128, 192, 256};
  const int64_t layers[3] = {2, 4, 3};
  for (int i = 0; i < 3; ++i) {
    c.channels[i] = make_divisible(out[i] * w, 8);
    c.embed_dim[i] = make_divisible(attn[i] * w, 8);
    c.ffn_dim[i] = (2 * c.embed_dim[i]) / 16 * 16;
    c.num_layers[i] = layers[i];
  }
  return c;
}

MobileViTv3LinearImpl::MobileViTv3LinearImpl(const MobileViTv3LinearOptions& options_)
    : options(options_) {
  const auto& o = options;
  const auto c = mobilevitv3_linear_widths(o.width_multiplier());
  const auto ir = [](int64_t in, int64_t out, int64_t stride) {
    return InvertedResidual(InvertedResidualOptions(in, out, stride, 2.0));
  };
  conv_1 = register_module(
      "conv_1",
      ConvNormAct(ConvNormActOptions::cvnets(o.base().in_channels(), c.stem, 3).stride(2)));
  layer_1 = register_module("layer_1", torch::nn::Sequential(ir(c.stem, c.layer1, 1)));
  layer_2 = register_module(
      "layer_2", torch::nn::Sequential(ir(c.layer1, c.layer2, 2), ir(c.layer2, c.layer2, 1)));
  int64_t in = c.layer2;
  torch::nn::Sequential* layers[] = {&layer_3, &layer_4, &layer_5};
  for (int i = 0; i < 3; ++i) {
    auto block = MobileViTv3LinearBlock(
        MobileViTv3LinearBlockOptions(c.channels[i], c.embed_dim[i], c.ffn_dim[i], c.num_layers[i])
            .dropout(o.dropout())
            .attn_dropout(o.attn_dropout())
            .ffn_dropout(o.ffn_dropout()));
    *layers[i] = register_module("layer_" + std::to_string(i + 3),
                                 torch::nn::Sequential(ir(in, c.channels[i], 2), block));
    in = c.channels[i];
  }
  auto fc = torch::nn::Linear(in, o.base().num_classes());
  torch::nn::init::xavier_uniform_(fc->weight);
  torch::nn::init::zeros_(fc->bias);
  classifier = register_module("classifier", torch::nn::Sequential(torch::nn::Identity(), fc));
}

torch::Tensor MobileViTv3LinearImpl::forward_features(torch::Tensor x) {
  x = layer_2->forward(layer_1->forward(conv_1->forward(x)));
  x = layer_5->forward(layer_4->forward(layer_3->forward(x)));
  return x.mean({2, 3});  // (B, C5)
}

torch::Tensor MobileViTv3LinearImpl::forward_head(torch::Tensor features) {
  return classifier->forward(features);
}

}  // namespace eden::models
