// nn.Dropout whose CPU training mask is drawn in parallel from a counter-based hash. LibTorch's
// CPU bernoulli_ draws element by element from one locked mt19937: in 1.13 that was 8-10 ms of
// a ~105 ms MobileViTv3-XXS training step at 28 px (18 dropouts), on one core.
#pragma once

#include <torch/torch.h>

namespace eden::models {

/// Inverted dropout, as F::dropout: in training each element is kept with probability 1 - p and
/// scaled by 1 / (1 - p), else zeroed; the identity in eval or at p = 0. On CPU in fp32/bf16 the
/// keep decision for element i is hash(i, key) < (1 - p) * 2^32, with a 64-bit key drawn from
/// LibTorch's default CPU generator per call: reproducible under torch::manual_seed, the same
/// for any thread count, fresh on every call. Elsewhere (CUDA, other dtypes) F::dropout.
torch::Tensor hashed_dropout(const torch::Tensor& x, double p, bool training);

/// torch::nn::Dropout (same options and printing) whose forward is eden::models::hashed_dropout.
class DropoutImpl : public torch::nn::DropoutImpl {
 public:
  using torch::nn::DropoutImpl::DropoutImpl;
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(Dropout);

}  // namespace eden::models
