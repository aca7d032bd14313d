// BLAS threading: stops the BLAS library's own threads from multiplying LibTorch's intra-op
// threads (pthread OpenBLAS starts its pool inside every fp32 GEMM: 2-5x slower steps on 2 cores).
#pragma once

#include <string>

#include <nlohmann/json.hpp>

namespace eden {

/// What was found and done; recorded in run.json and shown by `eden env`.
struct BlasThreading {
  std::string library;      ///< path of the loaded BLAS implementation ("" if none is mapped)
  std::string vendor;       ///< "openblas", "blis", "mkl" or "unknown"
  std::string method;       ///< the call used, or why nothing was called
  int threads_before = -1;  ///< BLAS threads as the library reported them before (-1: unknown)
  int threads = -1;         ///< BLAS threads after (-1: unknown)

  nlohmann::json json() const;
  /// "OpenBLAS /usr/lib/.../libopenblasp-r0.3.21.so: 1 thread (was 2; openblas_set_num_threads)".
  std::string describe() const;
};

/// Sets the loaded BLAS to `threads` threads through its own API (OpenBLAS, BLIS, MKL), found
/// at run time with dlsym, so it works whichever BLAS the alternatives system selected. A BLAS
/// with no such API (the reference BLAS is single-threaded) is reported, not an error.
BlasThreading set_blas_threads(int threads);

}  // namespace eden
