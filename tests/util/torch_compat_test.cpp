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

}  // namespace
}  // namespace eden
