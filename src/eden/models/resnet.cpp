// ResNet assembly and torchvision's initialisation (Kaiming fan-out for convs, BN = identity).
#include "eden/models/resnet.h"

namespace eden::models {

ResNetImpl::ResNetImpl(const ResNetOptions& options_) : options(options_) {
  const int64_t expansion =
      options.bottleneck() ? BottleneckImpl::kExpansion : BasicBlockImpl::kExpansion;
  conv1 = register_module(
      "conv1", torch::nn::Conv2d(torch::nn::Conv2dOptions(options.base().in_channels(), 64, 7)
                                     .stride(2)
                                     .padding(3)
                                     .bias(false)));
  bn1 = register_module("bn1", torch::nn::BatchNorm2d(64));
  maxpool = register_module(
      "maxpool", torch::nn::MaxPool2d(torch::nn::MaxPool2dOptions(3).stride(2).padding(1)));
  int64_t in = 64;
  auto make_layer = [&](int64_t planes, int64_t blocks, int64_t stride) {
    torch::nn::Sequential layer;
    for (int64_t i = 0; i < blocks; ++i) {
      const auto o = ResidualBlockOptions(in, planes).stride(i == 0 ? stride : 1);
      if (options.bottleneck()) {
        layer->push_back(Bottleneck(o));
      } else {
        layer->push_back(BasicBlock(o));
      }
      in = planes * expansion;
    }
    return layer;
  };
  const auto& l = options.layers();
  layer1 = register_module("layer1", make_layer(64, l[0], 1));
  layer2 = register_module("layer2", make_layer(128, l[1], 2));
  layer3 = register_module("layer3", make_layer(256, l[2], 2));
  layer4 = register_module("layer4", make_layer(512, l[3], 2));
  fc = register_module("fc", torch::nn::Linear(512 * expansion, options.base().num_classes()));

  for (auto& m : modules(/*include_self=*/false)) {
    if (auto* c = m->as<torch::nn::Conv2d>()) {
      torch::nn::init::kaiming_normal_(c->weight, 0.0, torch::kFanOut, torch::kReLU);
    } else if (auto* bn = m->as<torch::nn::BatchNorm2d>()) {
      torch::nn::init::ones_(bn->weight);
      torch::nn::init::zeros_(bn->bias);
    }
  }
}

torch::Tensor ResNetImpl::forward_features(torch::Tensor x) {
  x = maxpool->forward(bn1->forward(conv1->forward(x)).relu_());
  x = layer4->forward(layer3->forward(layer2->forward(layer1->forward(x))));
  return torch::adaptive_avg_pool2d(x, {1, 1}).flatten(1);
}

}  // namespace eden::models
