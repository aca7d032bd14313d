// SmallCnn assembly.
#include "eden/models/small_cnn.h"

namespace eden::models {

SmallCnnImpl::SmallCnnImpl(const SmallCnnOptions& options_) : options(options_) {
  const int64_t w = options.width();
  auto block = [](int64_t in, int64_t out) {
    return ConvNormAct(ConvNormActOptions(in, out, 3).kaiming_init(true));
  };
  features = register_module(
      "features",
      torch::nn::Sequential(block(options.base().in_channels(), w), torch::nn::MaxPool2d(2),
                            block(w, 2 * w), torch::nn::MaxPool2d(2), block(2 * w, 4 * w),
                            torch::nn::AdaptiveAvgPool2d(options.pool()), torch::nn::Flatten()));
  dropout = register_module("dropout", Dropout(options.dropout()));
  head = register_module("head", torch::nn::Linear(4 * w * options.pool() * options.pool(),
                                                   options.base().num_classes()));
}

torch::Tensor SmallCnnImpl::forward_features(torch::Tensor x) {
  return features->forward(x);
}

torch::Tensor SmallCnnImpl::forward_head(torch::Tensor f) {
  return head->forward(dropout->forward(f));
}

}  // namespace eden::models
