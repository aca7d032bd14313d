// The one adapter for LibTorch API differences between 1.13 (Debian) and 2.x (CUDA builds):
// autocast state, CUDA queries and synchronisation. No other file uses version macros.
#pragma once

#include <torch/torch.h>
#include <torch/version.h>

#include <string>

namespace c10d {
struct TCPStoreOptions;
}  // namespace c10d

namespace eden {

/// "1.13.1" etc.
std::string torch_version();

/// True when LibTorch was built with CUDA and a device is present.
bool cuda_available();

/// True when the LibTorch EDEN was built against is a CUDA build (whether or not a GPU is here).
bool torch_cuda_build();

/// "2.6.0 (CUDA build, GPU available)", "2.6.0 (CUDA build, no GPU usable)", "1.13.1 (CPU only)".
std::string torch_description();

/// The key of a parameter in torch::optim::Optimizer::state_ (a string of the TensorImpl address
/// in 1.13, the address itself in 2.x).
#if TORCH_VERSION_MAJOR >= 2
inline void* optimizer_state_key(const torch::Tensor& p) {
  return p.unsafeGetTensorImpl();
}
#else
inline std::string optimizer_state_key(const torch::Tensor& p) {
  return c10::guts::to_string(p.unsafeGetTensorImpl());
}
#endif

/// ReLU6 in place (hardtanh_(x, 0, 6), as torchvision's ReLU6(inplace=True)). For a bf16 tensor
/// on a LibTorch whose CPU hardtanh has no bf16 backward (1.13) it is computed out of place with
/// the same values and gradient (zero at 0 and 6, as hardtanh); the kernel is tried once.
torch::Tensor relu6_inplace(torch::Tensor x);

/// Makes LibTorch allocate CPU tensors through `alloc` / `release` (plain functions, because
/// LibTorch's Allocator interface changed: allocate() lost its const in 2.x, copy_data was
/// added). `alloc` returns 64-byte aligned memory or nullptr (reported as out of memory);
/// `release` takes what `alloc` returned. Tensors allocated before keep their own deleter.
using RawAllocFn = void* (*)(size_t bytes);
using RawFreeFn = void (*)(void* ptr);
/// Installs once per process; later calls change nothing.
void install_cpu_allocator(RawAllocFn alloc, RawFreeFn release);

/// Whether autocast is on for `device_type` in this thread.
bool autocast_enabled(torch::DeviceType device_type);

/// Makes a c10d::TCPStore use its socket server: LibTorch 2.4+ defaults to libuv, which
/// Debian's 2.6 is built without ("use_libuv was requested but PyTorch was build without libuv
/// support"); 1.13 has only the socket server.
void use_socket_tcp_store(c10d::TCPStoreOptions& options);

/// Waits for queued GPU work (no-op without CUDA); called before reading clocks or counters.
void synchronize(const torch::Device& device);

/// RAII autocast region, like Python's torch.autocast: bf16 on CPU, fp16 on CUDA. Forward and
/// loss run inside it; backward and the optimizer step run outside.
class AutocastGuard {
 public:
  AutocastGuard(torch::DeviceType device_type, bool enabled);
  ~AutocastGuard();
  AutocastGuard(const AutocastGuard&) = delete;
  AutocastGuard& operator=(const AutocastGuard&) = delete;

  /// The dtype autocast uses on `device_type` (kBFloat16 on CPU, kHalf on CUDA).
  static torch::ScalarType dtype_for(torch::DeviceType device_type);

 private:
  torch::DeviceType device_type_;
  bool enabled_;
  bool prev_enabled_ = false;
  torch::ScalarType prev_dtype_ = torch::kFloat;
};

}  // namespace eden
