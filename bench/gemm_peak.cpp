// The machine's measured matrix-product peak through LibTorch (what "FLOP/s achieved" in
// docs/benchmarks.md is compared with): square torch::mm in fp32 and bf16, median of repeats.
// Usage: build/bench_gemm_peak [n=2048] [repeats=7] [threads=all]
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "eden/util/blas_threads.h"
#include "eden/util/system.h"
#include "eden/util/torch_compat.h"

int main(int argc, char** argv) {
  const int64_t n = argc > 1 ? std::atoll(argv[1]) : 2048;
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 7;
  const int threads =
      argc > 3 && std::atoi(argv[3]) > 0 ? std::atoi(argv[3]) : eden::usable_cpu_count();
  torch::set_num_threads(threads);
  const auto blas = eden::set_blas_threads(1);  // the BLAS found, for the header
  fmt::print("# bench_gemm_peak: LibTorch {}, {}x{} mm, threads {}, 2 warm-up + median of {}\n",
             eden::torch_version(), n, n, threads, repeats);
  fmt::print("# BLAS: {}\n", blas.describe());
  // fp32 mm goes to the BLAS (one thread as eden trains, then all cores: the machine's fp32
  // peak); bf16 mm goes to oneDNN on LibTorch's own threads.
  struct Case {
    torch::ScalarType dtype;
    int blas_threads;
  };
  for (const Case k :
       {Case{torch::kFloat, 1}, Case{torch::kFloat, threads}, Case{torch::kBFloat16, 1}}) {
    const auto dtype = k.dtype;
    eden::set_blas_threads(k.blas_threads);
    const auto a = torch::randn({n, n}).to(dtype);
    const auto b = torch::randn({n, n}).to(dtype);
    auto c = torch::empty({n, n}, a.options());
    std::vector<double> s;
    for (int i = 0; i < 2 + repeats; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      torch::mm_out(c, a, b);
      const double dt =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
      if (i >= 2) s.push_back(dt);
    }
    std::nth_element(s.begin(), s.begin() + static_cast<std::ptrdiff_t>(s.size() / 2), s.end());
    const double gflops = 2.0 * static_cast<double>(n * n * n) / s[s.size() / 2] / 1e9;
    fmt::print("RESULT gemm dtype={} blas_threads={} gflops={:.1f}\n", c10::toString(dtype),
               k.blas_threads, gflops);
  }
  return 0;
}
