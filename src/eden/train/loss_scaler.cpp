// DynamicLossScaler. On CUDA the unscale uses ATen's fused foreach kernel; elsewhere plain ops.
#include "eden/train/loss_scaler.h"

#include <map>

#include "eden/util/check.h"

namespace eden::train {

DynamicLossScaler::DynamicLossScaler(LossScalerOptions options)
    : options_(options), scale_(options.init_scale()) {
  EDEN_CHECK(options_.init_scale() > 0 && options_.growth_factor() > 1.0 &&
                 options_.backoff_factor() > 0 && options_.backoff_factor() < 1.0 &&
                 options_.growth_interval() > 0,
             "loss scaler: invalid options");
}

bool DynamicLossScaler::unscale_and_check(const std::vector<torch::Tensor>& params) {
  const double inv = 1.0 / scale_;
  // Group by (device, dtype) so CUDA gets one fused kernel per group.
  std::map<std::pair<std::string, int>, std::vector<torch::Tensor>> groups;
  for (const auto& p : params) {
    const auto& g = p.grad();
    if (!g.defined()) continue;
    EDEN_CHECK(g.scalar_type() != torch::kHalf,
               "loss scaler: fp16 gradients cannot be unscaled; keep master weights in fp32");
    groups[{g.device().str(), static_cast<int>(g.scalar_type())}].push_back(g);
  }
  torch::Tensor found_any;
  for (auto& [key, grads] : groups) {
    const auto device = grads.front().device();
    torch::Tensor found;
    if (device.is_cuda()) {
      found = torch::zeros({1}, torch::TensorOptions().dtype(torch::kFloat).device(device));
      auto inv_t = torch::full({1}, inv, found.options());
      at::_amp_foreach_non_finite_check_and_unscale_(grads, found, inv_t);
      found = found.gt(0).to(torch::kCPU);
    } else {
      found = torch::zeros({}, torch::kBool);
      for (auto& g : grads) {
        found.logical_or_(g.isfinite().logical_not().any());
        g.mul_(inv);
      }
    }
    found_any = found_any.defined() ? found_any.logical_or(found.reshape({})) : found.reshape({});
  }
  return found_any.defined() && found_any.item<bool>();
}

void DynamicLossScaler::update(bool found_inf) {
  if (found_inf) {
    scale_ *= options_.backoff_factor();
    growth_tracker_ = 0;
  } else if (++growth_tracker_ >= options_.growth_interval()) {
    scale_ *= options_.growth_factor();
    growth_tracker_ = 0;
  }
}

void DynamicLossScaler::set_state(double scale, int64_t growth_tracker) {
  EDEN_CHECK(scale > 0 && growth_tracker >= 0, "loss scaler: invalid saved state");
  scale_ = scale;
  growth_tracker_ = growth_tracker;
}

}  // namespace eden::train
