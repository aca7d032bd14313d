// Conv2d -> BatchNorm2d -> activation, the basic unit of the CNN models.
#pragma once

#include <torch/torch.h>

namespace eden::models {

enum class Activation { kNone, kReLU, kReLU6, kSiLU };

struct ConvBnActOptions {
  ConvBnActOptions(int64_t in, int64_t out, int64_t kernel) : in_(in), out_(out), kernel_(kernel) {}
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  TORCH_ARG(int64_t, kernel);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  TORCH_ARG(Activation, activation) = Activation::kReLU;
};

/// Submodule names "conv" and "bn" (stable names for checkpoints).
class ConvBnActImpl : public torch::nn::Module {
 public:
  explicit ConvBnActImpl(const ConvBnActOptions& options);
  torch::Tensor forward(torch::Tensor x);

  ConvBnActOptions options;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d bn{nullptr};
};
TORCH_MODULE(ConvBnAct);

/// Applies `act` to x. ReLU6 is computed as clamp so bf16 autocast backward works on
/// LibTorch 1.13 (its hardtanh has no bf16 backward kernel on CPU).
torch::Tensor apply_activation(torch::Tensor x, Activation act);

}  // namespace eden::models
