// LibTorch version adapter. 2.4 replaced the device-specific autocast setters
// (set_cpu_enabled, set_autocast_cpu_dtype, ...) with set_autocast_enabled(device, ...).
#include "eden/util/torch_compat.h"

#include <ATen/autocast_mode.h>
#include <torch/version.h>

namespace eden {
namespace {

#if TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4)
#define EDEN_AUTOCAST_DEVICE_API 1
#else
#define EDEN_AUTOCAST_DEVICE_API 0
#endif

bool autocast_enabled(torch::DeviceType d) {
#if EDEN_AUTOCAST_DEVICE_API
  return at::autocast::is_autocast_enabled(d);
#else
  return d == torch::kCUDA ? at::autocast::is_enabled() : at::autocast::is_cpu_enabled();
#endif
}

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

}  // namespace

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

}  // namespace eden
