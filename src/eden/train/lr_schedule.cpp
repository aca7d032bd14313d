// Warm-up + cosine / step / constant schedules, times the E2AM decay at the unfreeze epoch.
#include "eden/train/lr_schedule.h"

#include <algorithm>
#include <cmath>

namespace eden::train {

double learning_rate(const LrScheduleOptions& o, int64_t epoch, int64_t update) {
  const double total = static_cast<double>(std::max<int64_t>(1, o.epochs * o.updates_per_epoch));
  const double warmup = o.warmup_epochs * static_cast<double>(o.updates_per_epoch);
  const double u = static_cast<double>(update);
  double factor = 1.0;
  if (warmup > 0 && u < warmup) {
    factor = (u + 1.0) / warmup;
  } else if (o.kind == "cosine") {
    const double span = std::max(1.0, total - warmup);
    const double t = std::clamp((u - warmup) / span, 0.0, 1.0);
    factor = o.min_lr_ratio + (1.0 - o.min_lr_ratio) * 0.5 * (1.0 + std::cos(M_PI * t));
  } else if (o.kind == "step") {
    factor =
        std::pow(o.step_gamma, static_cast<double>(epoch / std::max<int64_t>(1, o.step_epochs)));
  }
  if (o.unfreeze_epoch > 0 && epoch >= o.unfreeze_epoch) factor *= o.unfreeze_lr_decay;
  return o.base_lr * factor;
}

}  // namespace eden::train
