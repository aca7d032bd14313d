// Conv2d -> [BatchNorm2d] -> [activation]: the conv unit of every CNN model, under the child
// names of whichever reference the model follows (so checkpoints carry the authors' names).
#pragma once

#include <torch/torch.h>

namespace eden::models {

enum class Activation { kNone, kReLU, kReLU6, kSiLU };

/// "Identity", "ReLU", "ReLU6", "SiLU" (for module printing).
const char* activation_name(Activation act);

/// Applies `act` to x. ReLU and ReLU6 run in place (as torchvision's inplace=True): x must be an
/// intermediate no one else needs, such as a BatchNorm output. SiLU is out of place (its backward
/// needs its input).
torch::Tensor apply_activation(torch::Tensor x, Activation act);

/// Whose module names a block carries.
enum class BlockNaming {
  kPlain,        ///< conv, bn (EDEN's own models)
  kCvnets,       ///< block.conv, block.norm (cvnets' ConvLayer; inverted residuals: block.*)
  kTorchvision,  ///< 0, 1 (torchvision's Conv2dNormActivation, a Sequential)
};

struct ConvNormActOptions {
  ConvNormActOptions(int64_t in, int64_t out, int64_t kernel)
      : in_(in), out_(out), kernel_(kernel) {}
  /// cvnets' ConvLayer defaults: names block.{conv,norm}, SiLU.
  static ConvNormActOptions cvnets(int64_t in, int64_t out, int64_t kernel) {
    return ConvNormActOptions(in, out, kernel)
        .naming(BlockNaming::kCvnets)
        .activation(Activation::kSiLU);
  }
  TORCH_ARG(int64_t, in);
  TORCH_ARG(int64_t, out);
  /// Square kernel; padding is kernel / 2.
  TORCH_ARG(int64_t, kernel);
  TORCH_ARG(int64_t, stride) = 1;
  TORCH_ARG(int64_t, groups) = 1;
  /// Conv bias (the references use one only where there is no norm).
  TORCH_ARG(bool, bias) = false;
  /// BatchNorm2d after the conv.
  TORCH_ARG(bool, norm) = true;
  /// kNone for a linear layer.
  TORCH_ARG(Activation, activation) = Activation::kReLU;
  TORCH_ARG(BlockNaming, naming) = BlockNaming::kPlain;
  /// Kaiming-normal (fan-out, ReLU) conv weights at construction (SmallCnn's initialisation).
  TORCH_ARG(bool, kaiming_init) = false;
};

/// Example: a depthwise 3x3 with BN and SiLU under cvnets names, as MobileViT's local
/// representation: ConvNormAct(ConvNormActOptions::cvnets(64, 64, 3).groups(64))
class ConvNormActImpl : public torch::nn::Module {
 public:
  explicit ConvNormActImpl(const ConvNormActOptions& options);
  /// (B, in, H, W) -> (B, out, H / stride, W / stride).
  torch::Tensor forward(torch::Tensor x);
  void pretty_print(std::ostream& stream) const override;

  ConvNormActOptions options;
  torch::nn::Conv2d conv{nullptr};
  torch::nn::BatchNorm2d norm{nullptr};  // empty without norm
};
TORCH_MODULE(ConvNormAct);

}  // namespace eden::models
