// AdamW whose CPU step is one fused pass per parameter: weight, gradient and both moments are
// read and written once. LibTorch's C++ AdamW makes about nine passes per parameter and
// allocates two temporaries (75 ms of a ResNet-50 step here). Same options, state
// (AdamWParamState) and update as torch::optim::AdamW, so checkpoints load in either.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace eden::train {

class FusedAdamW : public torch::optim::AdamW {
 public:
  using torch::optim::AdamW::AdamW;
  /// Parameters that are dense fp32 CPU tensors whose gradient and moments share their layout
  /// take the fused loop; any other (CUDA, other dtypes, amsgrad) the tensor-op update.
  torch::Tensor step(LossClosure closure = nullptr) override;

  /// Parameters updated by the fused loop in the last step (for tests and benchmarks).
  int64_t fused_last_step() const { return fused_last_step_; }

 private:
  int64_t fused_last_step_ = 0;
};

}  // namespace eden::train
