// A small CNN for quick runs and tests: three conv blocks, then a linear head.
#pragma once

#include "eden/models/blocks/conv_norm_act.h"
#include "eden/models/blocks/dropout.h"
#include "eden/models/classifier.h"

namespace eden::models {

struct SmallCnnOptions {
  /// Classes, input channels, image size.
  TORCH_ARG(ModelOptions, base);
  /// Channels of the three conv blocks are width, 2*width, 4*width.
  TORCH_ARG(int64_t, width) = 32;
  /// Side of the adaptive average pool that ends the backbone (features = 4*width*pool^2).
  TORCH_ARG(int64_t, pool) = 4;
  /// Dropout before the classifier.
  TORCH_ARG(double, dropout) = 0.2;
};

/// Backbone: 3 x (conv3x3-BN-ReLU, 2x2 max-pool except last), adaptive pool x pool average pool.
/// Head: "dropout" + linear "head".
class SmallCnnImpl : public ClassifierImpl {
 public:
  explicit SmallCnnImpl(const SmallCnnOptions& options);
  torch::Tensor forward_features(torch::Tensor x) override;
  torch::Tensor forward_head(torch::Tensor features) override;
  std::vector<std::string> head_modules() const override { return {"dropout", "head"}; }

  SmallCnnOptions options;
  torch::nn::Sequential features{nullptr};
  Dropout dropout{nullptr};
  torch::nn::Linear head{nullptr};
};
TORCH_MODULE(SmallCnn);

}  // namespace eden::models
