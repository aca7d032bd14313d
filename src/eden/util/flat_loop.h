// Shared by EDEN's fused CPU kernels (FusedAdamW, the L1 term, the dropout mask): when one flat
// loop over raw fp32 storage may stand in for an element-wise op, and the multi-ISA build of it.
#pragma once

#include <torch/torch.h>

#include <initializer_list>

/// Compiles a loop function for AVX-512, AVX2 and baseline x86-64, picked at load time (the
/// build targets baseline x86-64). Empty where GCC's target_clones is unavailable.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define EDEN_CPU_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
#else
#define EDEN_CPU_CLONES
#endif

namespace eden {

/// True when every tensor is a dense fp32 CPU tensor with the sizes and strides of the first:
/// element (i, j, ...) of each then sits at the same offset from data_ptr(), and the offsets
/// cover [0, numel), so one flat loop over the storages updates them consistently.
inline bool share_flat_fp32_layout(std::initializer_list<const torch::Tensor*> tensors) {
  const torch::Tensor& ref = **tensors.begin();
  for (const torch::Tensor* t : tensors) {
    if (!t->is_cpu() || t->scalar_type() != torch::kFloat || t->sizes() != ref.sizes() ||
        t->strides() != ref.strides() || !t->is_non_overlapping_and_dense()) {
      return false;
    }
  }
  return true;
}

}  // namespace eden
