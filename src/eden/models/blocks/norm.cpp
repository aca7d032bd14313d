// Normalisation layers that upcast reduced-precision input.
#include "eden/models/blocks/norm.h"

#include "eden/util/check.h"

namespace eden::models {
namespace {

torch::Tensor match_dtype(const torch::Tensor& x, const torch::Tensor& weight) {
  return x.scalar_type() == weight.scalar_type() ? x : x.to(weight.scalar_type());
}

}  // namespace

Fp32LayerNormImpl::Fp32LayerNormImpl(int64_t dim, double eps) : dim_(dim), eps_(eps) {
  EDEN_CHECK(dim >= 1, "LayerNorm: dim must be >= 1, got ", dim);
  weight = register_parameter("weight", torch::ones({dim}));
  bias = register_parameter("bias", torch::zeros({dim}));
}

torch::Tensor Fp32LayerNormImpl::forward(torch::Tensor x) {
  return torch::layer_norm(match_dtype(x, weight), {dim_}, weight, bias, eps_);
}

void Fp32LayerNormImpl::pretty_print(std::ostream& stream) const {
  stream << "eden::models::Fp32LayerNorm(" << dim_ << ", eps=" << eps_ << ")";
}

Fp32GroupNormImpl::Fp32GroupNormImpl(int64_t groups, int64_t channels, double eps)
    : groups_(groups), channels_(channels), eps_(eps) {
  EDEN_CHECK(groups >= 1 && channels % groups == 0, "GroupNorm: ", channels,
             " channels do not split into ", groups, " groups");
  weight = register_parameter("weight", torch::ones({channels}));
  bias = register_parameter("bias", torch::zeros({channels}));
}

torch::Tensor Fp32GroupNormImpl::forward(torch::Tensor x) {
  return torch::group_norm(match_dtype(x, weight), groups_, weight, bias, eps_);
}

void Fp32GroupNormImpl::pretty_print(std::ostream& stream) const {
  stream << "eden::models::Fp32GroupNorm(" << groups_ << ", " << channels_ << ", eps=" << eps_
         << ")";
}

}  // namespace eden::models
