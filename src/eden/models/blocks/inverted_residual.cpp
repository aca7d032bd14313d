// Inverted residual block in cvnets and torchvision naming.
#include "eden/models/blocks/inverted_residual.h"

#include <cmath>

#include "eden/models/blocks/conv_norm_act.h"
#include "eden/util/check.h"

namespace eden::models {
int64_t make_divisible(double value, int64_t divisor, int64_t min_value) {
  if (min_value <= 0) min_value = divisor;
  const int64_t rounded =
      static_cast<int64_t>(value + static_cast<double>(divisor) / 2) / divisor * divisor;
  int64_t v = std::max(min_value, rounded);
  if (static_cast<double>(v) < 0.9 * value) v += divisor;
  return v;
}

InvertedResidualImpl::InvertedResidualImpl(const InvertedResidualOptions& options_)
    : options(options_) {
  const auto& o = options;
  EDEN_CHECK(o.stride() == 1 || o.stride() == 2, "InvertedResidual: stride must be 1 or 2, got ",
             o.stride());
  EDEN_CHECK(o.expand_ratio() >= 1.0, "InvertedResidual: expand_ratio must be >= 1, got ",
             o.expand_ratio());
  const bool expand = o.expand_ratio() != 1.0;
  // Both references round in * expand_ratio (cvnets then rounds to a multiple of 8).
  const auto scaled =
      static_cast<double>(std::llround(static_cast<double>(o.in()) * o.expand_ratio()));
  residual_ = o.stride() == 1 && o.in() == o.out();
  body = torch::nn::Sequential();
  if (o.naming() == BlockNaming::kCvnets) {
    hidden_ = make_divisible(scaled, 8);
    if (expand) {
      body->push_back(
          "exp_1x1",
          ConvNormAct(ConvNormActOptions::cvnets(o.in(), hidden_, 1).activation(o.activation())));
    }
    body->push_back("conv_3x3", ConvNormAct(ConvNormActOptions::cvnets(hidden_, hidden_, 3)
                                                .stride(o.stride())
                                                .groups(hidden_)
                                                .activation(o.activation())));
    body->push_back(
        "red_1x1",
        ConvNormAct(ConvNormActOptions::cvnets(hidden_, o.out(), 1).activation(Activation::kNone)));
    register_module("block", body);
  } else {
    hidden_ = static_cast<int64_t>(scaled);
    auto tv = [&](int64_t in, int64_t out, int64_t kernel) {
      return ConvNormActOptions(in, out, kernel)
          .activation(o.activation())
          .naming(BlockNaming::kTorchvision);
    };
    if (expand) body->push_back(ConvNormAct(tv(o.in(), hidden_, 1)));
    body->push_back(ConvNormAct(tv(hidden_, hidden_, 3).stride(o.stride()).groups(hidden_)));
    body->push_back(torch::nn::Conv2d(torch::nn::Conv2dOptions(hidden_, o.out(), 1).bias(false)));
    body->push_back(torch::nn::BatchNorm2d(o.out()));
    register_module("conv", body);
  }
}

torch::Tensor InvertedResidualImpl::forward(torch::Tensor x) {
  auto y = body->forward(x);
  return residual_ ? x + y : y;
}

}  // namespace eden::models
