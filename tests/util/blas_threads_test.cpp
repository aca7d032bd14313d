// BLAS threading: the loaded BLAS is found and its thread count really changes.
#include "eden/util/blas_threads.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "eden/util/check.h"

namespace eden {
namespace {

TEST(BlasThreads, SetsAndReportsTheLoadedBlas) {
  torch::mm(torch::ones({64, 64}), torch::ones({64, 64}));  // BLAS mapped and initialised
  const BlasThreading two = set_blas_threads(2);
  if (two.vendor == "unknown") GTEST_SKIP() << "no BLAS with a thread API here: " << two.method;
  EXPECT_FALSE(two.library.empty());
  EXPECT_EQ(two.threads, 2) << two.describe();
  const BlasThreading one = set_blas_threads(1);
  EXPECT_EQ(one.threads_before, 2);
  EXPECT_EQ(one.threads, 1);
  EXPECT_NE(one.describe().find("1 thread, was 2 (" + one.method + ")"), std::string::npos)
      << one.describe();
  EXPECT_EQ(one.json()["threads"], 1);
  // Results are unchanged by the thread count.
  const auto a = torch::randn({300, 200});
  const auto b = torch::randn({200, 100});
  const auto single = torch::mm(a, b);
  set_blas_threads(2);
  EXPECT_TRUE(torch::mm(a, b).allclose(single, 1e-5, 1e-5));
  set_blas_threads(1);
}

TEST(BlasThreads, RejectsZero) {
  EXPECT_THROW(set_blas_threads(0), Error);
}

}  // namespace
}  // namespace eden
