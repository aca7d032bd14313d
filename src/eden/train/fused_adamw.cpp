// Fused AdamW step: decoupled weight decay, bias-corrected moments (Loshchilov & Hutter), as
// torch::optim::AdamW computes them, in one loop over each parameter's storage.
#include "eden/train/fused_adamw.h"

#include <ATen/Parallel.h>

#include <cmath>

#include "eden/util/flat_loop.h"
#include "eden/util/torch_compat.h"

namespace eden::train {
namespace {

struct Coefficients {
  float decay;  // 1 - lr * weight_decay
  float beta1, one_minus_beta1;
  float beta2, one_minus_beta2;
  float bias_correction2_sqrt;
  float eps;
  float step_size;  // lr / bias_correction1
};

/// The loop (sqrt and division only vectorise with -fno-math-errno, set for this file in
/// CMakeLists.txt).
EDEN_CPU_CLONES void update_range(float* __restrict pp, const float* __restrict gp,
                                  float* __restrict mp, float* __restrict vp, int64_t begin,
                                  int64_t end, const Coefficients& c) {
  const float beta1 = c.beta1, one_minus_beta1 = c.one_minus_beta1, beta2 = c.beta2,
              one_minus_beta2 = c.one_minus_beta2, bc2 = c.bias_correction2_sqrt, eps = c.eps,
              decay = c.decay, step_size = c.step_size;
  for (int64_t i = begin; i < end; ++i) {
    const float gi = gp[i];
    const float mi = mp[i] * beta1 + one_minus_beta1 * gi;
    const float vi = vp[i] * beta2 + one_minus_beta2 * gi * gi;
    mp[i] = mi;
    vp[i] = vi;
    const float denom = std::sqrt(vi) / bc2 + eps;
    pp[i] = pp[i] * decay - step_size * (mi / denom);
  }
}

/// One flat loop over the four storages (share_flat_fp32_layout holds).
void fused_update(torch::Tensor& p, const torch::Tensor& g, torch::Tensor& m, torch::Tensor& v,
                  const Coefficients& c) {
  float* pp = p.data_ptr<float>();
  const float* gp = g.data_ptr<float>();
  float* mp = m.data_ptr<float>();
  float* vp = v.data_ptr<float>();
  at::parallel_for(0, p.numel(), 32768, [&](int64_t begin, int64_t end) {
    update_range(pp, gp, mp, vp, begin, end, c);
  });
  // Writes through raw pointers: bump the version counters as in-place ops would.
  p.unsafeGetTensorImpl()->bump_version();
  m.unsafeGetTensorImpl()->bump_version();
  v.unsafeGetTensorImpl()->bump_version();
}

}  // namespace

torch::Tensor FusedAdamW::step(LossClosure closure) {
  torch::NoGradGuard no_grad;
  torch::Tensor loss;
  if (closure != nullptr) {
    torch::AutoGradMode enable_grad(true);
    loss = closure();
  }
  fused_last_step_ = 0;
  for (auto& group : param_groups_) {
    const auto& o = static_cast<const torch::optim::AdamWOptions&>(group.options());
    const double beta1 = std::get<0>(o.betas());
    const double beta2 = std::get<1>(o.betas());
    for (auto& p : group.params()) {
      if (!p.grad().defined()) continue;
      const auto& grad = p.grad();
      TORCH_CHECK(!grad.is_sparse(), "FusedAdamW does not support sparse gradients");
      const auto key = optimizer_state_key(p);
      auto it = state_.find(key);
      if (it == state_.end()) {
        auto fresh = std::make_unique<torch::optim::AdamWParamState>();
        fresh->step(0);
        fresh->exp_avg(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        fresh->exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        if (o.amsgrad()) {
          fresh->max_exp_avg_sq(torch::zeros_like(p, torch::MemoryFormat::Preserve));
        }
        it = state_.emplace(key, std::move(fresh)).first;
      }
      auto& state = static_cast<torch::optim::AdamWParamState&>(*it->second);
      state.step(state.step() + 1);
      const double bias_correction1 = 1 - std::pow(beta1, static_cast<double>(state.step()));
      const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(state.step()));
      const double decay = 1 - o.lr() * o.weight_decay();
      const double step_size = o.lr() / bias_correction1;
      auto& exp_avg = state.exp_avg();
      auto& exp_avg_sq = state.exp_avg_sq();
      if (!o.amsgrad() && share_flat_fp32_layout({&p, &grad, &exp_avg, &exp_avg_sq})) {
        const Coefficients c{
            static_cast<float>(decay),     static_cast<float>(beta1),
            static_cast<float>(1 - beta1), static_cast<float>(beta2),
            static_cast<float>(1 - beta2), static_cast<float>(std::sqrt(bias_correction2)),
            static_cast<float>(o.eps()),   static_cast<float>(step_size)};
        fused_update(p, grad, exp_avg, exp_avg_sq, c);
        ++fused_last_step_;
        continue;
      }
      if (o.weight_decay() != 0) p.mul_(decay);
      exp_avg.mul_(beta1).add_(grad, 1 - beta1);
      exp_avg_sq.mul_(beta2).addcmul_(grad, grad, 1 - beta2);
      torch::Tensor denom;
      if (o.amsgrad()) {
        auto& max_sq = state.max_exp_avg_sq();
        torch::max_out(max_sq, max_sq, exp_avg_sq);
        denom = (max_sq.sqrt() / std::sqrt(bias_correction2)).add_(o.eps());
      } else {
        denom = (exp_avg_sq.sqrt() / std::sqrt(bias_correction2)).add_(o.eps());
      }
      p.addcdiv_(exp_avg, denom, -step_size);
    }
  }
  return loss;
}

}  // namespace eden::train
