// Caching host allocator: blocks are reused, never handed out twice, bounded by the cap, and
// LibTorch's CPU tensors really come from it once installed.
#include "eden/util/host_allocator.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstdint>
#include <random>
#include <vector>

namespace eden {
namespace {

constexpr size_t kMiB = size_t{1} << 20;

TEST(HostAllocator, ReusesFreedBlocksOfTheSameSizeAndIsAligned) {
  release_cached_host_memory();
  void* a = host_alloc(3 * kMiB + 5);
  ASSERT_NE(a, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(a) % 64, 0U);
  const auto before = host_allocator_stats();
  host_free(a);
  EXPECT_GE(host_allocator_stats().cached_bytes, before.cached_bytes + int64_t{3 * kMiB});
  void* b = host_alloc(3 * kMiB);  // within the 1/8 slack of the cached block
  EXPECT_EQ(b, a);
  EXPECT_EQ(host_allocator_stats().hits, before.hits + 1);
  void* c = host_alloc(4 * kMiB);  // nothing cached fits: a new block
  EXPECT_NE(c, a);
  host_free(b);
  void* d = host_alloc(kMiB);  // a 3 MiB block is too big for 1 MiB (more than 1/8 slack)
  EXPECT_NE(d, a);
  host_free(c);
  host_free(d);
  host_free(nullptr);
}

TEST(HostAllocator, SmallAllocationsBypassTheCache) {
  const auto before = host_allocator_stats();
  void* p = host_alloc(kHostCacheMinBytes - 1);
  ASSERT_NE(p, nullptr);
  EXPECT_EQ(reinterpret_cast<uintptr_t>(p) % 64, 0U);
  host_free(p);
  const auto after = host_allocator_stats();
  EXPECT_EQ(after.hits + after.misses, before.hits + before.misses);
  EXPECT_EQ(after.cached_bytes, before.cached_bytes);
}

TEST(HostAllocator, CapBoundsCachedBytes) {
  install_caching_host_allocator(int64_t{5} * kMiB);
  release_cached_host_memory();
  std::vector<void*> blocks;
  for (int i = 0; i < 8; ++i) blocks.push_back(host_alloc(kMiB));
  for (void* p : blocks) host_free(p);
  const auto st = host_allocator_stats();
  EXPECT_EQ(st.cap_bytes, int64_t{5} * kMiB);
  EXPECT_LE(st.cached_bytes, st.cap_bytes);
  EXPECT_GE(st.cached_bytes, int64_t{4} * kMiB);  // the most recent frees stay
  release_cached_host_memory();
  EXPECT_EQ(host_allocator_stats().cached_bytes, 0);
  install_caching_host_allocator();  // back to the default cap
  EXPECT_GE(host_allocator_stats().cap_bytes, int64_t{256} * kMiB);
}

TEST(HostAllocator, TensorsComeFromItAndNeverShareABlock) {
  install_caching_host_allocator();
  const auto before = host_allocator_stats();
  EXPECT_TRUE(before.installed);
  EXPECT_EQ(before.json()["kind"], "caching");
  // Random sizes around the same few shapes (as training steps are), each tensor filled with
  // its own value; after every free/allocate round every live tensor must still hold it.
  std::mt19937 rng(7);
  std::vector<std::pair<torch::Tensor, float>> live;
  for (int round = 0; round < 300; ++round) {
    if (!live.empty() && rng() % 2 == 0) live.erase(live.begin() + rng() % live.size());
    const int64_t n = (int64_t{1} << (15 + rng() % 6)) + static_cast<int64_t>(rng() % 4096);
    const auto value = static_cast<float>(round);
    live.emplace_back(torch::full({n}, value), value);
    if (round % 25 == 0) {
      for (const auto& [t, v] : live) ASSERT_TRUE(t.eq(v).all().item<bool>()) << "round " << round;
    }
  }
  for (const auto& [t, v] : live) EXPECT_TRUE(t.eq(v).all().item<bool>());
  const auto after = host_allocator_stats();
  EXPECT_GT(after.hits, before.hits) << "CPU tensors did not come from the caching allocator";
  EXPECT_NE(after.describe().find("caching, cap"), std::string::npos);
}

}  // namespace
}  // namespace eden
