// Learning rate as a pure function of the optimizer step (LibTorch 1.13 has only StepLR, with
// an off-by-one; we set the rate ourselves before every step).
#pragma once

#include <cstdint>
#include <string>

namespace eden::train {

struct LrScheduleOptions {
  std::string kind = "cosine";  // cosine | step | constant
  double base_lr = 1e-3;
  int64_t updates_per_epoch = 1;
  int64_t epochs = 1;
  double warmup_epochs = 0.0;
  double min_lr_ratio = 0.0;
  int64_t step_epochs = 1;
  double step_gamma = 0.1;
  int64_t unfreeze_epoch = 0;  // from this epoch on, multiply by unfreeze_lr_decay (0 = never)
  double unfreeze_lr_decay = 1.0;
};

/// lr for global optimizer step `update` (0-based) within `epoch`.
double learning_rate(const LrScheduleOptions& o, int64_t epoch, int64_t update);

}  // namespace eden::train
