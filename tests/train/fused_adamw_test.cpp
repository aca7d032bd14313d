// FusedAdamW against LibTorch's own AdamW: same parameters after many steps, for contiguous and
// channels-last weights, with and without weight decay, and the same (loadable) state.
#include "eden/train/fused_adamw.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <sstream>

namespace eden::train {
namespace {

std::vector<torch::Tensor> make_params() {
  torch::manual_seed(3);
  return {torch::randn({16, 8, 3, 3}).contiguous(torch::MemoryFormat::ChannelsLast),
          torch::randn({33, 7}), torch::randn({5}), torch::randn({40000})};
}

std::vector<torch::Tensor> leaves(const std::vector<torch::Tensor>& ps) {
  std::vector<torch::Tensor> out;
  for (const auto& p : ps) out.push_back(p.clone().requires_grad_());  // clone keeps the layout
  return out;
}

TEST(FusedAdamW, MatchesLibTorchAdamW) {
  for (const double wd : {0.0, 0.05}) {
    const auto init = make_params();
    auto a = leaves(init), b = leaves(init);
    const auto opts = torch::optim::AdamWOptions(3e-3).weight_decay(wd).betas({0.8, 0.99});
    torch::optim::AdamW reference({a}, opts);
    FusedAdamW fused({b}, opts);
    for (int step = 0; step < 25; ++step) {
      torch::manual_seed(100 + step);
      for (size_t i = 0; i < a.size(); ++i) {
        const auto g = torch::randn_like(a[i]) * static_cast<double>(i + 1);
        a[i].mutable_grad() = g.clone();
        b[i].mutable_grad() = g.clone();
      }
      if (step == 7) b[2].mutable_grad().reset();  // a parameter without a gradient is skipped
      if (step == 7) a[2].mutable_grad().reset();
      reference.step();
      fused.step();
      EXPECT_EQ(fused.fused_last_step(), step == 7 ? 3 : 4);
    }
    for (size_t i = 0; i < a.size(); ++i) {
      EXPECT_TRUE(b[i].allclose(a[i], 1e-5, 1e-6)) << "param " << i << " wd " << wd << " max diff "
                                                   << (b[i] - a[i]).abs().max().item<float>();
      EXPECT_NE(b[i].data_ptr(), init[i].data_ptr());
      EXPECT_FALSE(b[i].equal(init[i]));  // it did move
    }
  }
}

TEST(FusedAdamW, AmsgradAndNonFloatTakeTheTensorPath) {
  auto a = leaves({torch::randn({64})});
  auto b = leaves({a[0].detach()});
  const auto opts = torch::optim::AdamWOptions(1e-2).amsgrad(true);
  torch::optim::AdamW reference({a}, opts);
  FusedAdamW fused({b}, opts);
  for (int step = 0; step < 5; ++step) {
    const auto g = torch::randn({64});
    a[0].mutable_grad() = g.clone();
    b[0].mutable_grad() = g.clone();
    reference.step();
    fused.step();
    EXPECT_EQ(fused.fused_last_step(), 0);
  }
  EXPECT_TRUE(b[0].allclose(a[0], 1e-6, 1e-7));
}

TEST(FusedAdamW, StateSavesAndLoadsIntoLibTorchAdamW) {
  auto b = leaves(make_params());
  FusedAdamW fused({b}, torch::optim::AdamWOptions(1e-3));
  for (int step = 0; step < 3; ++step) {
    for (auto& p : b) p.mutable_grad() = torch::ones_like(p);
    fused.step();
  }
  std::stringstream buffer;
  {
    torch::serialize::OutputArchive out;
    fused.save(out);
    out.save_to(buffer);
  }
  auto c = leaves(make_params());
  torch::optim::AdamW plain({c}, torch::optim::AdamWOptions(1e-3));
  torch::serialize::InputArchive in;
  in.load_from(buffer);
  plain.load(in);
  ASSERT_EQ(plain.state().size(), b.size());
  for (const auto& [key, state] : plain.state()) {
    EXPECT_EQ(static_cast<const torch::optim::AdamWParamState&>(*state).step(), 3);
  }
}

}  // namespace
}  // namespace eden::train
