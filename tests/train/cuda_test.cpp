// CUDA-only checks (names end in _CUDA: tests/test_main.cpp skips them without a GPU). They are
// compiled by every build, so the CUDA build check (scripts/chroot-build cuda) covers them.
#include <limits>

#include <gtest/gtest.h>

#include "../common/synthetic.h"
#include "eden/data/batch_loader.h"
#include "eden/train/loss_scaler.h"
#include "eden/util/torch_compat.h"

namespace eden::train {
namespace {

const torch::Device kGpu(torch::kCUDA, 0);

TEST(Cuda, AutocastIsFp16AndRestored_CUDA) {
  auto a = torch::ones({4, 4}, torch::TensorOptions().device(kGpu));
  {
    AutocastGuard guard(torch::kCUDA, true);
    EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kHalf);
  }
  EXPECT_EQ(torch::mm(a, a).scalar_type(), torch::kFloat);
}

// An induced overflow skips the step and halves the scale; clean steps grow it.
TEST(Cuda, LossScalerOverflowAndGrowth_CUDA) {
  DynamicLossScaler scaler(LossScalerOptions().init_scale(1024).growth_interval(2));
  auto w = torch::ones({3}, torch::TensorOptions().device(kGpu).requires_grad(true));
  scaler.scale((w * std::numeric_limits<float>::max()).sum() * 4).backward();
  EXPECT_TRUE(scaler.unscale_and_check({w}));
  scaler.update(true);
  EXPECT_EQ(scaler.current_scale(), 512);
  for (int step = 0; step < 2; ++step) {
    w.mutable_grad() = torch::Tensor();
    scaler.scale(w.sum()).backward();
    EXPECT_FALSE(scaler.unscale_and_check({w}));
    EXPECT_TRUE(w.grad().cpu().equal(torch::ones({3})));  // unscaled back to dL/dw
    scaler.update(false);
  }
  EXPECT_EQ(scaler.current_scale(), 1024);
}

// --preload device: the uint8 set lives on the GPU and batches come out there, equal to the
// host path's.
TEST(Cuda, PreloadDeviceMatchesHost_CUDA) {
  auto ds = eden::testing::make_blocks_dataset(20);
  data::LoaderOptions o;
  o.batch_size = 8;
  o.seed = 5;
  data::BatchLoader host(ds, o);
  o.device = kGpu;
  o.preload = data::Preload::kDevice;
  data::BatchLoader device(ds, o);
  o.preload = data::Preload::kHost;  // pinned host memory, copied per batch
  data::BatchLoader pinned(ds, o);
  for (int64_t b = 0; b < host.num_batches(); ++b) {
    const auto want = host.batch(b);
    for (const data::BatchLoader* l : {&device, &pinned}) {
      const auto got = l->batch(b);
      ASSERT_TRUE(got.x.is_cuda());
      EXPECT_TRUE(got.x.cpu().allclose(want.x)) << "batch " << b;
      EXPECT_TRUE(got.y.cpu().equal(want.y)) << "batch " << b;
    }
  }
}

}  // namespace
}  // namespace eden::train
