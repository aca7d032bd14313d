// Dropout mask from a keyed 32-bit hash of the element index, filled on the intra-op threads.
#include "eden/models/blocks/dropout.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <mutex>

#include "eden/util/check.h"
#include "eden/util/flat_loop.h"

namespace eden::models {
namespace {

// MurmurHash3's 32-bit finaliser: a bijection with full avalanche; two keyed rounds decorrelate
// neighbouring indices. 32-bit multiplies, so the loop vectorises on AVX2 and AVX-512.
inline uint32_t fmix32(uint32_t h) {
  h ^= h >> 16;
  h *= 0x85ebca6bU;
  h ^= h >> 13;
  h *= 0xc2b2ae35U;
  h ^= h >> 16;
  return h;
}

/// mask[i] = scale if hash(begin + i) < threshold, else 0, for i in [0, end - begin).
EDEN_CPU_CLONES void fill_mask(float* __restrict mask, int64_t begin, int64_t end, uint32_t k0,
                               uint32_t k1, uint32_t threshold, float scale) {
  const auto b = static_cast<uint32_t>(begin);
  const int64_t n = end - begin;
  for (int64_t i = 0; i < n; ++i) {
    const uint32_t h = fmix32(fmix32((b + static_cast<uint32_t>(i)) ^ k0) + k1);
    mask[i] = h < threshold ? scale : 0.0F;
  }
}

uint64_t draw_key() {
  auto gen = at::detail::getDefaultCPUGenerator();
  std::lock_guard<std::mutex> lock(gen.mutex());
  return gen.get<at::CPUGeneratorImpl>()->random64();
}

}  // namespace

torch::Tensor hashed_dropout(const torch::Tensor& x, double p, bool training) {
  EDEN_CHECK(p >= 0.0 && p <= 1.0, "dropout probability has to be between 0 and 1, but got ", p);
  if (!training || p == 0.0) return x;
  const bool ours = x.is_cpu() && p < 1.0 && x.numel() > 0 &&
                    x.numel() <= int64_t{std::numeric_limits<uint32_t>::max()} &&
                    (x.scalar_type() == torch::kFloat || x.scalar_type() == torch::kBFloat16);
  if (!ours)
    return torch::nn::functional::dropout(x, torch::nn::functional::DropoutFuncOptions().p(p));
  const double keep = 1.0 - p;
  const auto threshold = static_cast<uint32_t>(
      std::min(std::ldexp(keep, 32), static_cast<double>(std::numeric_limits<uint32_t>::max())));
  const uint64_t key = draw_key();
  const auto k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  const auto scale = static_cast<float>(1.0 / keep);
  // The mask has x's sizes in contiguous order; its values depend only on the flat index.
  auto mask = torch::empty(x.sizes(), x.options().dtype(torch::kFloat));
  float* m = mask.data_ptr<float>();
  at::parallel_for(0, mask.numel(), 32768, [&](int64_t begin, int64_t end) {
    fill_mask(m + begin, begin, end, k0, k1, threshold, scale);
  });
  return x * mask.to(x.scalar_type());
}

torch::Tensor DropoutImpl::forward(const torch::Tensor& x) {
  return hashed_dropout(x, options.p(), is_training());
}

}  // namespace eden::models
