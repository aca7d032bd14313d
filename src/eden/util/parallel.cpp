// Dynamic index hand-out with an atomic counter; threads join before returning.
#include "eden/util/parallel.h"

#include <ATen/Parallel.h>

#include <algorithm>
#include <atomic>
#include <thread>
#include <vector>

namespace eden {

void parallel_for(int64_t n, int threads, const std::function<void(int64_t)>& fn) {
  if (n <= 0) return;
  threads = static_cast<int>(std::clamp<int64_t>(threads, 1, n));
  std::atomic<int64_t> next{0};
  auto work = [&] {
    for (int64_t i = next++; i < n; i = next++) fn(i);
  };
  if (threads == 1) {
    work();
    return;
  }
  std::vector<std::thread> pool;
  pool.reserve(threads - 1);
  for (int t = 1; t < threads; ++t) pool.emplace_back(work);
  work();
  for (auto& th : pool) th.join();
}

int intra_op_threads_reached() {
  const int64_t n = at::get_num_threads();
  std::vector<std::atomic<bool>> seen(static_cast<size_t>(n));
  at::parallel_for(0, n, 1, [&](int64_t, int64_t) {
    const int t = at::get_thread_num();
    if (t >= 0 && t < n) seen[static_cast<size_t>(t)] = true;
  });
  return static_cast<int>(std::count(seen.begin(), seen.end(), true));
}

}  // namespace eden
