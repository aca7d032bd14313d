// LayerNorm and GroupNorm that accept reduced-precision input under autocast: LibTorch 1.13's CPU
// kernels need input and affine parameters of one dtype, so bf16 input is normalised in fp32.
#pragma once

#include <torch/torch.h>

namespace eden::models {

/// LayerNorm over the last dimension; parameters "weight" and "bias" as torch::nn::LayerNorm.
class Fp32LayerNormImpl : public torch::nn::Module {
 public:
  explicit Fp32LayerNormImpl(int64_t dim, double eps = 1e-5);
  /// (..., dim) -> (..., dim), float32 when the input was bf16/fp16.
  torch::Tensor forward(torch::Tensor x);
  void pretty_print(std::ostream& stream) const override;

  torch::Tensor weight, bias;

 private:
  int64_t dim_;
  double eps_;
};
TORCH_MODULE(Fp32LayerNorm);

/// GroupNorm over (C, ...) per sample; parameters "weight" and "bias" as torch::nn::GroupNorm.
/// GroupNorm(1, C) is cvnets' "layer_norm_2d".
class Fp32GroupNormImpl : public torch::nn::Module {
 public:
  Fp32GroupNormImpl(int64_t groups, int64_t channels, double eps = 1e-5);
  /// (B, C, ...) -> (B, C, ...).
  torch::Tensor forward(torch::Tensor x);
  void pretty_print(std::ostream& stream) const override;

  torch::Tensor weight, bias;

 private:
  int64_t groups_, channels_;
  double eps_;
};
TORCH_MODULE(Fp32GroupNorm);

}  // namespace eden::models
