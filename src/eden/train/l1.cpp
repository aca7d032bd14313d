// L1 regulariser: value and gradient from one fused loop per weight tensor.
#include "eden/train/l1.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <vector>

#include "eden/util/flat_loop.h"

namespace eden::train {
namespace {

/// g += c * sign(w) over [begin, end); returns sum |w| accumulated in double. The double sum
/// vectorises because this file is built with -fassociative-math (CMakeLists.txt): reordered
/// double additions, far below fp32 rounding.
EDEN_CPU_CLONES double add_signed(float* __restrict g, const float* __restrict w, int64_t begin,
                                  int64_t end, float c) {
  double sum = 0.0;
  for (int64_t i = begin; i < end; ++i) {
    const float wi = w[i];
    g[i] += wi > 0.0F ? c : (wi < 0.0F ? -c : 0.0F);
    sum += static_cast<double>(wi < 0.0F ? -wi : wi);
  }
  return sum;
}

}  // namespace

std::vector<torch::Tensor> l1_targets(torch::nn::Module& model) {
  std::vector<torch::Tensor> out;
  for (auto& p : model.parameters()) {
    if (p.requires_grad() && p.dim() >= 2) out.push_back(p);
  }
  return out;
}

torch::Tensor add_l1_gradient(const std::vector<torch::Tensor>& weights, double lambda,
                              double grad_scale) {
  const auto device = weights.empty() ? torch::Device(torch::kCPU) : weights.front().device();
  if (lambda == 0.0 || weights.empty()) {
    return torch::zeros({}, torch::TensorOptions().dtype(torch::kFloat).device(device));
  }
  torch::NoGradGuard no_grad;
  const double c = lambda * grad_scale;
  double sum_abs = 0.0;  // fused tensors
  auto other = torch::zeros({}, weights.front().options().dtype(torch::kDouble));
  for (const auto& w : weights) {
    auto& g = w.mutable_grad();
    if (!g.defined()) g = torch::zeros_like(w, torch::MemoryFormat::Preserve);
    if (share_flat_fp32_layout({&w, &g})) {
      float* gp = g.data_ptr<float>();
      const float* wp = w.data_ptr<float>();
      // Fixed chunks, summed in order: the value does not depend on the thread count.
      constexpr int64_t kChunk = 32768;
      const int64_t n = w.numel();
      std::vector<double> partial(static_cast<size_t>((n + kChunk - 1) / kChunk));
      at::parallel_for(0, static_cast<int64_t>(partial.size()), 1, [&](int64_t b, int64_t e) {
        for (int64_t k = b; k < e; ++k) {
          partial[static_cast<size_t>(k)] =
              add_signed(gp, wp, k * kChunk, std::min(n, (k + 1) * kChunk), static_cast<float>(c));
        }
      });
      for (const double p : partial) sum_abs += p;
      g.unsafeGetTensorImpl()->bump_version();
    } else {
      other += w.abs().sum(torch::kDouble);
      g.add_(w.sgn(), c);
    }
  }
  return ((other + sum_abs) * lambda).to(torch::kFloat);
}

}  // namespace eden::train
