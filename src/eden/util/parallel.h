// A minimal parallel loop over indices for CPU work outside LibTorch (image decoding).
#pragma once

#include <cstdint>
#include <functional>

namespace eden {

/// Calls fn(i) for every i in [0, n) on `threads` threads (<= 1: the calling thread), handing
/// out indices dynamically so that slow items do not stall a thread's share. fn must not throw;
/// catch per item (a thrown exception is a bug and ends the process with a message).
void parallel_for(int64_t n, int threads, const std::function<void(int64_t)>& fn);

/// How many threads an at::parallel_for in EDEN's own code runs on at LibTorch's current
/// setting: torch::get_num_threads() when EDEN was compiled with LibTorch's OpenMP flags, 1 when
/// not (ATen's loop is inline, so without them EDEN's fused kernels silently run serially).
int intra_op_threads_reached();

}  // namespace eden
