// Every registered model takes a training step under bf16 autocast on CPU: forward and loss
// inside the autocast region, backward and SGD step outside, as the trainer does.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include "eden/models/registry.h"
#include "eden/util/torch_compat.h"

namespace {

class AmpTrainStep : public ::testing::TestWithParam<std::string> {};

TEST_P(AmpTrainStep, Bf16ForwardBackwardUpdatesFiniteWeights) {
  torch::manual_seed(0);
  // Grayscale 32x32, batch 2: small enough for one core, and MobileViT's layer_5 is 1x1, so the
  // odd-size resize path runs in bf16 too.
  auto model = eden::models::create_model(
      GetParam(), eden::models::ModelOptions().num_classes(10).in_channels(1).image_size(32));
  model->train();
  torch::optim::SGD opt(model->parameters(), torch::optim::SGDOptions(0.01));
  auto x = torch::randn({2, 1, 32, 32});
  auto y = torch::tensor({3, 7}, torch::kLong);
  {
    // The trainer's AMP preflight: eval mode (BN on running statistics), one sample.
    model->eval();
    torch::Tensor out;
    {
      eden::AutocastGuard autocast(torch::kCPU, true);
      out = model->forward(x.narrow(0, 0, 1));
    }
    out.to(torch::kFloat).sum().backward();
    for (auto& p : model->parameters()) p.mutable_grad().reset();
    model->train();
  }
  std::vector<torch::Tensor> before;
  for (const auto& p : model->parameters()) before.push_back(p.detach().clone());

  torch::Tensor logits, loss;
  {
    eden::AutocastGuard autocast(torch::kCPU, true);
    logits = model->forward(x);
    loss = torch::nn::functional::cross_entropy(logits.to(torch::kFloat), y);
  }
  EXPECT_EQ(logits.scalar_type(), torch::kBFloat16) << "autocast did not reach the head";
  opt.zero_grad();
  loss.backward();
  opt.step();

  EXPECT_TRUE(std::isfinite(loss.item<double>()));
  size_t changed = 0, i = 0;
  for (const auto& p : model->parameters()) {
    ASSERT_TRUE(p.grad().defined()) << GetParam() << ": parameter " << i << " got no gradient";
    EXPECT_TRUE(torch::isfinite(p.grad()).all().item<bool>()) << GetParam() << " param " << i;
    changed += !torch::equal(p.detach(), before[i]);
    ++i;
  }
  EXPECT_GT(changed, before.size() / 2) << GetParam();
}

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& spec : eden::models::list_models()) names.push_back(spec.name);
  return names;
}

INSTANTIATE_TEST_SUITE_P(AllModels, AmpTrainStep, ::testing::ValuesIn(model_names()),
                         [](const auto& info) { return info.param; });

}  // namespace
