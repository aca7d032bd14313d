// The LibTorch adapter: what it says about the build matches the libraries really loaded.
#include "eden/util/torch_compat.h"

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>

namespace eden {
namespace {

std::string self_maps() {
  std::ifstream in("/proc/self/maps");
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

TEST(TorchCompat, CudaBuildMatchesLoadedLibraries) {
  const bool cuda_libraries_loaded = self_maps().find("libc10_cuda.so") != std::string::npos;
  EXPECT_EQ(torch_cuda_build(), cuda_libraries_loaded);
  if (!torch_cuda_build()) EXPECT_FALSE(cuda_available());
}

TEST(TorchCompat, DescriptionNamesVersionAndBuild) {
  const std::string d = torch_description();
  EXPECT_EQ(d.rfind(torch_version(), 0), 0u) << d;
  EXPECT_NE(d.find(torch_cuda_build() ? "CUDA build" : "CPU only"), std::string::npos) << d;
}

TEST(TorchCompat, AutocastGuardRestoresState) {
  {
    AutocastGuard outer(torch::kCPU, true);
    auto y = torch::mm(torch::ones({2, 2}), torch::ones({2, 2}));
    EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
    {
      AutocastGuard off(torch::kCPU, false);  // disabled guard changes nothing
      EXPECT_EQ(torch::mm(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(),
                torch::kBFloat16);
    }
  }
  EXPECT_EQ(torch::mm(torch::ones({2, 2}), torch::ones({2, 2})).scalar_type(), torch::kFloat);
}

TEST(TorchCompat, Relu6InPlaceMatchesHardtanhAndItsGradient) {
  // Includes 0 and 6, where hardtanh's gradient is 0 (clamp's would be 1).
  const auto x0 = torch::linspace(-3, 9, 25);
  const auto ref_leaf = x0.clone().requires_grad_();
  const auto want = torch::hardtanh(ref_leaf, 0.0, 6.0);
  want.backward(torch::ones_like(want));
  for (const auto dtype : {torch::kFloat, torch::kBFloat16}) {
    const auto leaf = x0.to(dtype).clone().requires_grad_();
    auto mid = leaf * 1;  // an intermediate, as a BatchNorm output is
    const auto* storage = mid.data_ptr();
    auto got = relu6_inplace(mid);
    got.backward(torch::ones_like(got));
    EXPECT_TRUE(got.to(torch::kFloat).equal(want)) << dtype;  // exact in bf16 on this grid
    EXPECT_TRUE(leaf.grad().to(torch::kFloat).equal(ref_leaf.grad())) << dtype;
    if (dtype == torch::kFloat) EXPECT_EQ(got.data_ptr(), storage) << "fp32 ReLU6 not in place";
  }
}

}  // namespace
}  // namespace eden
