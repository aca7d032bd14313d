// Parallel loops: EDEN's index loop covers every index once, and ATen's inline at::parallel_for
// in EDEN's code really reaches LibTorch's threads (it ran serially before EDEN was compiled
// with OpenMP: the fused optimizer and L1 loops used one core).
#include "eden/util/parallel.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <atomic>
#include <vector>

namespace eden {
namespace {

TEST(Parallel, EveryIndexOnce) {
  std::vector<std::atomic<int>> hits(1000);
  parallel_for(1000, 3, [&](int64_t i) { ++hits[static_cast<size_t>(i)]; });
  for (const auto& h : hits) EXPECT_EQ(h.load(), 1);
}

TEST(Parallel, AtenLoopsInEdenCodeReachLibTorchThreads) {
  const int before = torch::get_num_threads();
  torch::set_num_threads(2);
  const int reached = intra_op_threads_reached();
  torch::set_num_threads(before);
  EXPECT_EQ(reached, 2) << "at::parallel_for in EDEN's code ran on " << reached
                        << " thread(s) of 2: is eden_lib compiled with OpenMP?";
}

}  // namespace
}  // namespace eden
