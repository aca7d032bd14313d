// Dynamic loss scaling for fp16 training (LibTorch has no C++ GradScaler). Same algorithm and
// defaults as torch.cuda.amp.GradScaler: scale 65536, x2 after 2000 clean steps, x0.5 and skip
// the step on inf/NaN gradients.
#pragma once

#include <torch/torch.h>

#include <vector>

namespace eden::train {

struct LossScalerOptions {
  TORCH_ARG(double, init_scale) = 65536.0;
  TORCH_ARG(double, growth_factor) = 2.0;
  TORCH_ARG(double, backoff_factor) = 0.5;
  TORCH_ARG(int64_t, growth_interval) = 2000;
};

class DynamicLossScaler {
 public:
  explicit DynamicLossScaler(LossScalerOptions options = {});

  /// loss * scale, to call backward() on.
  torch::Tensor scale(const torch::Tensor& loss) const { return loss * scale_; }
  /// Divides every defined gradient by the scale in place; returns true if any is inf/NaN.
  /// One host synchronisation per call.
  bool unscale_and_check(const std::vector<torch::Tensor>& params);
  /// Updates the scale after a step: back off on overflow, grow after growth_interval clean steps.
  void update(bool found_inf);

  double current_scale() const { return scale_; }
  int64_t growth_tracker() const { return growth_tracker_; }
  void set_state(double scale, int64_t growth_tracker);

 private:
  LossScalerOptions options_;
  double scale_;
  int64_t growth_tracker_ = 0;
};

}  // namespace eden::train
