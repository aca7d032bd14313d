// BLAS thread control through each implementation's own entry points, resolved at run time.
#include "eden/util/blas_threads.h"

#include <dlfcn.h>

#include <fmt/format.h>

#include "eden/util/check.h"
#include "eden/util/system.h"

namespace eden {
namespace {

struct Vendor {
  const char* name;
  const char* library_fragment;  // file name fragment in /proc/self/maps
  const char* set;               // void set(int)
  const char* get;               // int get(void)
};

// Debian's OpenBLAS libblas.so.3 exports no openblas_* symbol itself; the libopenblas.so.0 it
// needs does, and RTLD_DEFAULT searches both.
constexpr Vendor kVendors[] = {
    {"openblas", "openblas", "openblas_set_num_threads", "openblas_get_num_threads"},
    {"blis", "blis", "bli_thread_set_num_threads", "bli_thread_get_num_threads"},
    {"mkl", "mkl_", "MKL_Set_Num_Threads", "MKL_Get_Max_Threads"},
};

}  // namespace

nlohmann::json BlasThreading::json() const {
  return {{"library", library},
          {"vendor", vendor},
          {"method", method},
          {"threads_before", threads_before},
          {"threads", threads}};
}

std::string BlasThreading::describe() const {
  if (threads < 0) return fmt::format("{} ({})", library.empty() ? "not loaded" : library, method);
  std::string s =
      fmt::format("{} {}: {} thread{}", vendor, library, threads, threads == 1 ? "" : "s");
  if (threads_before >= 0 && threads_before != threads)
    s += fmt::format(", was {}", threads_before);
  return s + fmt::format(" ({})", method);
}

BlasThreading set_blas_threads(int threads) {
  EDEN_CHECK(threads >= 1, "BLAS threads: expected >= 1, got ", threads);
  BlasThreading r;
  for (const Vendor& v : kVendors) {
    auto set = reinterpret_cast<void (*)(int)>(dlsym(RTLD_DEFAULT, v.set));
    auto get = reinterpret_cast<int (*)()>(dlsym(RTLD_DEFAULT, v.get));
    if (set == nullptr) continue;
    r.vendor = v.name;
    r.library = loaded_library_matching(v.library_fragment);
    r.threads_before = get != nullptr ? get() : -1;
    set(threads);
    r.method = v.set;
    r.threads = get != nullptr ? get() : threads;
    return r;
  }
  r.vendor = "unknown";
  r.library = loaded_library_matching("blas");
  r.method = r.library.empty() ? "none: no BLAS mapped in this process"
                               : "none: this BLAS has no thread API (the reference BLAS is "
                                 "single-threaded)";
  return r;
}

}  // namespace eden
