// Row-split linear: the same values and gradients as F::linear (torch's addmm path), the split
// really taken where it should be and not where it must not (autocast, one thread, tiny GEMMs).
#include "eden/models/blocks/linear.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

#include "eden/util/torch_compat.h"

namespace eden::models {
namespace {

class ThreadsGuard {
 public:
  explicit ThreadsGuard(int n) : before_(torch::get_num_threads()) { torch::set_num_threads(n); }
  ~ThreadsGuard() { torch::set_num_threads(before_); }
  ThreadsGuard(const ThreadsGuard&) = delete;
  ThreadsGuard& operator=(const ThreadsGuard&) = delete;

 private:
  int before_;
};

std::string grad_fn_name(const torch::Tensor& t) {
  return t.grad_fn() ? t.grad_fn()->name() : "none";
}

struct Grads {
  torch::Tensor out, gx, gw, gb;
};

template <class Fn>
Grads run(const torch::Tensor& x0, const torch::Tensor& w0, const torch::Tensor& b0, Fn fn) {
  auto x = x0.clone().requires_grad_(true);
  auto w = w0.clone().requires_grad_(true);
  auto b = b0.defined() ? b0.clone().requires_grad_(true) : torch::Tensor();
  auto out = fn(x, w, b);
  // A non-uniform upstream gradient, so that every GEMM of the backward matters.
  out.backward(torch::linspace(-1, 1, out.numel()).view(out.sizes()));
  return {out.detach(), x.grad(), w.grad(), b.defined() ? b.grad() : torch::Tensor()};
}

void expect_close(const torch::Tensor& a, const torch::Tensor& b, const char* what) {
  ASSERT_EQ(a.sizes(), b.sizes()) << what;
  const double err = (a - b).abs().max().item<double>();
  const double ref = b.abs().max().item<double>();
  EXPECT_LE(err, 1e-5 * (1.0 + ref)) << what << ": max abs diff " << err;
}

TEST(Linear, MatchesTorchLinearWithAndWithoutBias) {
  ThreadsGuard threads(2);
  torch::manual_seed(0);
  const auto x = torch::randn({8, 49, 64});  // (B', N, d): a transformer's token batch
  const auto w = torch::randn({192, 64}) * 0.1;
  for (const bool with_bias : {true, false}) {
    const auto b = with_bias ? torch::randn({192}) : torch::Tensor();
    const auto ours =
        run(x, w, b, [](auto& x_, auto& w_, auto& b_) { return split_linear(x_, w_, b_); });
    const auto ref = run(x, w, b, [](auto& x_, auto& w_, auto& b_) {
      return torch::nn::functional::linear(x_, w_, b_);
    });
    expect_close(ours.out, ref.out, "output");
    expect_close(ours.gx, ref.gx, "input gradient");
    expect_close(ours.gw, ref.gw, "weight gradient");
    if (with_bias) expect_close(ours.gb, ref.gb, "bias gradient");
  }
}

TEST(Linear, SplitsOnlyWhereItPays) {
  torch::manual_seed(0);
  const auto w = torch::randn({192, 64}, torch::requires_grad());
  const auto big = torch::randn({512, 64});
  {
    ThreadsGuard threads(2);
    EXPECT_NE(grad_fn_name(split_linear(big, w, {})).find("RowSplitLinear"), std::string::npos)
        << grad_fn_name(split_linear(big, w, {}));
    // 4 rows x 64 x 192 = 49k MACs: below kMinSplitMacs, stays whole.
    EXPECT_EQ(grad_fn_name(split_linear(torch::randn({4, 64}), w, {})).find("RowSplitLinear"),
              std::string::npos);
    AutocastGuard autocast(torch::kCPU, true);  // bf16 GEMMs go to oneDNN, which is threaded
    const auto y = split_linear(big, w, {});
    EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
    EXPECT_EQ(grad_fn_name(y).find("RowSplitLinear"), std::string::npos);
  }
  ThreadsGuard one(1);
  EXPECT_EQ(grad_fn_name(split_linear(big, w, {})).find("RowSplitLinear"), std::string::npos);
}

TEST(Linear, ModuleKeepsTorchLinearParametersAndInit) {
  torch::manual_seed(3);
  Linear ours(64, 32);
  torch::manual_seed(3);
  torch::nn::Linear ref(64, 32);
  EXPECT_TRUE(torch::equal(ours->weight, ref->weight));
  EXPECT_TRUE(torch::equal(ours->bias, ref->bias));
  std::vector<std::string> names;
  for (const auto& p : ours->named_parameters()) names.push_back(p.key());
  EXPECT_EQ(names, (std::vector<std::string>{"weight", "bias"}));
  EXPECT_NE(ours->as<torch::nn::Linear>(), nullptr);  // model code that inits Linears finds it
}

TEST(Linear, RejectsMismatchedFeatures) {
  ThreadsGuard threads(2);
  EXPECT_ANY_THROW(split_linear(torch::randn({512, 63}), torch::randn({192, 64}), {}));
}

}  // namespace
}  // namespace eden::models
