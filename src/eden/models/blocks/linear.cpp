// Row-split CPU GEMMs for linear layers, as a custom autograd function.
#include "eden/models/blocks/linear.h"

#include <ATen/Parallel.h>

#include <algorithm>

#include "eden/models/macs.h"
#include "eden/util/check.h"
#include "eden/util/torch_compat.h"

// GCC 14 reports false -Warray-bounds / -Wstringop-overflow inside LibTorch's Function::apply (its
// vector<bool> reserve, inlined here); the code it names is LibTorch's, not ours.
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ >= 14
#pragma GCC diagnostic ignored "-Warray-bounds"
#pragma GCC diagnostic ignored "-Wstringop-overflow"
#endif

namespace eden::models {
namespace {

constexpr int64_t kMinRowsPerThread = 16;

/// Calls fn(begin, end) on [0, n) cut into one contiguous block per intra-op thread. Grad mode
/// is thread-local and on in the pool's threads: the out= GEMMs there must not record.
template <class Fn>
void split_rows(int64_t n, const Fn& fn) {
  const int64_t threads = at::get_num_threads();
  const int64_t block = std::max(kMinRowsPerThread, (n + threads - 1) / threads);
  at::parallel_for(0, n, block, [&](int64_t begin, int64_t end) {
    torch::NoGradGuard no_grad;
    fn(begin, end);
  });
}

// x2d (M, K), weight (N, K), bias (N) or (0) for none -> (M, N). (LibTorch 1.13's Function::apply
// cannot take an undefined tensor, hence the empty one.)
class RowSplitLinear : public torch::autograd::Function<RowSplitLinear> {
 public:
  static torch::Tensor forward(torch::autograd::AutogradContext* ctx, const torch::Tensor& x2d,
                               const torch::Tensor& weight, const torch::Tensor& bias) {
    ctx->save_for_backward({x2d, weight});
    const bool has_bias = bias.numel() > 0;
    ctx->saved_data["has_bias"] = has_bias;
    auto out = torch::empty({x2d.size(0), weight.size(0)}, x2d.options());
    const auto wt = weight.t();
    split_rows(x2d.size(0), [&](int64_t b, int64_t e) {
      auto o = out.narrow(0, b, e - b);
      const auto xs = x2d.narrow(0, b, e - b);
      if (has_bias) {
        at::addmm_out(o, bias, xs, wt);
      } else {
        at::mm_out(o, xs, wt);
      }
    });
    return out;
  }

  static torch::autograd::variable_list backward(torch::autograd::AutogradContext* ctx,
                                                 torch::autograd::variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& x2d = saved[0];
    const auto& weight = saved[1];
    const auto g = grads[0].contiguous();  // (M, N)
    torch::Tensor gx, gw, gb;
    if (ctx->needs_input_grad(0)) {  // (M, N) @ (N, K), rows of g split
      gx = torch::empty_like(x2d);
      split_rows(g.size(0), [&](int64_t b, int64_t e) {
        auto o = gx.narrow(0, b, e - b);
        at::mm_out(o, g.narrow(0, b, e - b), weight);
      });
    }
    if (ctx->needs_input_grad(1)) {  // (N, M) @ (M, K), rows of g^T (output features) split
      gw = torch::empty_like(weight);
      const auto xc = x2d.contiguous();
      split_rows(g.size(1), [&](int64_t b, int64_t e) {
        auto o = gw.narrow(0, b, e - b);
        at::mm_out(o, g.narrow(1, b, e - b).t(), xc);
      });
    }
    if (ctx->saved_data["has_bias"].toBool() && ctx->needs_input_grad(2)) gb = g.sum(0);
    return {gx, gw, gb};
  }
};

bool use_row_split(const torch::Tensor& x, const torch::Tensor& weight) {
  if (!x.device().is_cpu() || x.scalar_type() != torch::kFloat ||
      weight.scalar_type() != torch::kFloat || x.dim() < 2) {
    return false;
  }
  // A MAC count traces aten::linear/addmm on this thread only; the split's GEMMs on the other
  // threads would go uncounted.
  if (at::get_num_threads() < 2 || at::in_parallel_region() || autocast_enabled(torch::kCPU) ||
      counting_macs()) {
    return false;
  }
  const int64_t rows = x.numel() / std::max<int64_t>(1, x.size(-1));
  return rows >= 2 * kMinRowsPerThread && rows * weight.size(0) * weight.size(1) >= kMinSplitMacs;
}

}  // namespace

torch::Tensor split_linear(const torch::Tensor& x, const torch::Tensor& weight,
                           const torch::Tensor& bias) {
  if (!use_row_split(x, weight)) return torch::nn::functional::linear(x, weight, bias);
  EDEN_CHECK(x.size(-1) == weight.size(1), "linear: input has ", x.size(-1),
             " features, the weight expects ", weight.size(1));
  auto sizes = x.sizes().vec();
  const auto x2d = x.reshape({-1, x.size(-1)});
  sizes.back() = weight.size(0);
  const auto no_bias = torch::empty({0}, weight.options());
  auto out = RowSplitLinear::apply(x2d, weight, bias.defined() ? bias : no_bias);
  return x.dim() == 2 ? out : out.view(sizes);
}

torch::Tensor LinearImpl::forward(const torch::Tensor& x) {
  return split_linear(x, weight, bias);
}

}  // namespace eden::models
