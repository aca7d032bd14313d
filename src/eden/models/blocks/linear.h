// nn.Linear with its CPU fp32 GEMMs split over LibTorch's intra-op threads. EDEN keeps BLAS
// single-threaded (util/blas_threads: pthread OpenBLAS inside OpenMP oversubscribes), and
// LibTorch hands a whole linear layer to one BLAS call, so without the split every
// transformer GEMM ran on one core while the other threads waited.
#pragma once

#include <torch/torch.h>

namespace eden::models {

/// x (..., in) @ weight (out, in)^T + bias (out) -> (..., out), as F::linear. On CPU in fp32
/// outside autocast, with more than one intra-op thread and a GEMM of at least
/// kMinSplitMacs multiply-adds, forward and backward GEMMs run as one single-threaded BLAS call
/// per thread on a block of rows; anything else goes to F::linear. Same values up to the
/// rounding of BLAS's blocking; gradients for x, weight and bias.
torch::Tensor split_linear(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias);

/// Below this many multiply-adds a GEMM stays whole (the split costs ~10 us of thread hand-off).
inline constexpr int64_t kMinSplitMacs = int64_t{1} << 20;

/// torch::nn::Linear (same parameters, names, initialisation and printing) whose forward is
/// eden::models::split_linear.
class LinearImpl : public torch::nn::LinearImpl {
 public:
  using torch::nn::LinearImpl::LinearImpl;
  torch::Tensor forward(const torch::Tensor& x);
};
TORCH_MODULE(Linear);

}  // namespace eden::models
