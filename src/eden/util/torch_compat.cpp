// LibTorch version adapter. 2.4 replaced the device-specific autocast setters
// (set_cpu_enabled, set_autocast_cpu_dtype, ...) with set_autocast_enabled(device, ...).
#include "eden/util/torch_compat.h"

#include <ATen/autocast_mode.h>
#include <c10/core/CPUAllocator.h>
#include <torch/version.h>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define EDEN_AUTOCAST_DEVICE_API 1
#else
#define EDEN_AUTOCAST_DEVICE_API 0
#endif

namespace eden {

bool autocast_enabled(torch::DeviceType d) {
#if EDEN_AUTOCAST_DEVICE_API
  return at::autocast::is_autocast_enabled(d);
#else
  return d == torch::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

namespace {

void set_autocast_enabled(torch::DeviceType d, bool on) {
#if EDEN_AUTOCAST_DEVICE_API
  at::autocast::set_autocast_enabled(d, on);
#else
  if (d == torch::kCUDA) {
    at::autocast::set_enabled(on);
  } else {
    at::autocast::set_cpu_enabled(on);
  }
#endif
}

torch::ScalarType autocast_dtype(torch::DeviceType d) {
#if EDEN_AUTOCAST_DEVICE_API
  return at::autocast::get_autocast_dtype(d);
#else
  return d == torch::kCUDA ? at::autocast::get_autocast_gpu_dtype()
                           : at::autocast::get_autocast_cpu_dtype();
#endif
}

void set_autocast_dtype(torch::DeviceType d, torch::ScalarType t) {
#if EDEN_AUTOCAST_DEVICE_API
  at::autocast::set_autocast_dtype(d, t);
#else
  if (d == torch::kCUDA) {
    at::autocast::set_autocast_gpu_dtype(t);
  } else {
    at::autocast::set_autocast_cpu_dtype(t);
  }
#endif
}

/// c10::Allocator over two plain functions; the override set depends on the version.
class FunctionAllocator final : public c10::Allocator {
 public:
  FunctionAllocator(RawAllocFn alloc, RawFreeFn release) : alloc_(alloc), release_(release) {}
#if TORCH_VERSION_MAJOR >= 2
  c10::DataPtr allocate(size_t n) override {
    return make(n);
  }
  void copy_data(void* dest, const void* src, std::size_t count) const override {
    default_copy_data(dest, src, count);
  }
#else
  c10::DataPtr allocate(size_t n) const override {
    return make(n);
  }
#endif
  c10::DeleterFnPtr raw_deleter() const override {
    return release_;
  }

 private:
  c10::DataPtr make(size_t n) const {
    void* p = n == 0 ? nullptr : alloc_(n);
    TORCH_CHECK(n == 0 || p != nullptr, "EDEN host allocator: out of memory allocating ", n,
                " bytes");
    return {p, p, release_, c10::Device(c10::DeviceType::CPU)};
  }
  RawAllocFn alloc_;
  RawFreeFn release_;
};

/// Whether hardtanh's backward runs on a bf16 CPU tensor here (missing in LibTorch 1.13).
bool hardtanh_bf16_backward_works() {
  static const bool works = [] {
    try {
      torch::AutoGradMode grad(true);
      const auto t = torch::zeros({2}, torch::kBFloat16).requires_grad_();
      torch::hardtanh(t * 1, 0.0, 6.0).sum().backward();
      return true;
    } catch (const c10::Error&) {
      return false;
    }
  }();
  return works;
}

}  // namespace

torch::Tensor relu6_inplace(torch::Tensor x) {
  if (x.scalar_type() == torch::kBFloat16 && x.requires_grad() && x.is_cpu() &&
      !hardtanh_bf16_backward_works()) {
    // hardtanh's values and gradient (1 strictly inside (0, 6), else 0) without its kernel.
    return torch::where(x.gt(0.0).logical_and_(x.lt(6.0)), x, x.detach().clamp(0.0, 6.0));
  }
  return torch::hardtanh_(x, 0.0, 6.0);
}

void install_cpu_allocator(RawAllocFn alloc, RawFreeFn release) {
  // Never destroyed: tensors may be freed during static destruction.
  static auto* const allocator = new FunctionAllocator(alloc, release);  // NOLINT
  // Priority above the default CPU allocator's (0) so later registrations do not replace it.
  c10::SetCPUAllocator(allocator, /*priority=*/1);
}

std::string torch_version() {
  return TORCH_VERSION;
}

bool cuda_available() {
  return torch::cuda::is_available();
}

bool torch_cuda_build() {
  return EDEN_TORCH_CUDA != 0;  // set by CMake from the LibTorch package it found
}

std::string torch_description() {
  if (!torch_cuda_build()) return torch_version() + " (CPU only)";
  return torch_version() +
         (cuda_available() ? " (CUDA build, GPU available)" : " (CUDA build, no GPU usable)");
}

void synchronize(const torch::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.index() < 0 ? -1 : device.index());
}

torch::ScalarType AutocastGuard::dtype_for(torch::DeviceType device_type) {
  return device_type == torch::kCUDA ? torch::kHalf : torch::kBFloat16;
}

AutocastGuard::AutocastGuard(torch::DeviceType device_type, bool enabled)
    : device_type_(device_type), enabled_(enabled) {
  if (!enabled_) return;
  prev_enabled_ = autocast_enabled(device_type_);
  prev_dtype_ = autocast_dtype(device_type_);
  set_autocast_dtype(device_type_, dtype_for(device_type_));
  set_autocast_enabled(device_type_, true);
  at::autocast::increment_nesting();
}

AutocastGuard::~AutocastGuard() {
  if (!enabled_) return;
  // Leaving the outermost region frees the cast-weight cache (it would grow every step).
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
  set_autocast_enabled(device_type_, prev_enabled_);
  set_autocast_dtype(device_type_, prev_dtype_);
}

void use_socket_tcp_store(c10d::TCPStoreOptions& options) {
#if TORCH_VERSION_MAJOR >= 2
  options.useLibUV = false;
#else
  (void)options;
#endif
}

}  // namespace eden
