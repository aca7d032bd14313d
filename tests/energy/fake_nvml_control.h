// Test fixture: steers the fake NVML (fake_nvml.c, built by extra.cmake) and makes EDEN load it
// through EDEN_NVML_LIBRARY. Header-only, used by the energy tests.
#pragma once

#include <dlfcn.h>

#include <string>

#include <gtest/gtest.h>

#include "fake_powercap.h"

#ifndef EDEN_FAKE_NVML_PATH
#error "EDEN_FAKE_NVML_PATH must name the fake NVML library (see tests/energy/extra.cmake)"
#endif

namespace eden::energy::testing {

/// Holds the fake library open (so its state lives across EDEN's own dlopen/dlclose), resets it,
/// and points EDEN_NVML_LIBRARY at it for the fixture's lifetime.
class FakeNvml {
 public:
  FakeNvml() : env_("EDEN_NVML_LIBRARY", std::string(EDEN_FAKE_NVML_PATH)) {
    handle_ = dlopen(EDEN_FAKE_NVML_PATH, RTLD_NOW | RTLD_LOCAL);
    EXPECT_NE(handle_, nullptr) << dlerror();
    call<void (*)()>("fake_nvml_reset")();
  }
  ~FakeNvml() {
    if (handle_ != nullptr) dlclose(handle_);
  }
  FakeNvml(const FakeNvml&) = delete;
  FakeNvml& operator=(const FakeNvml&) = delete;

  void set_device_count(unsigned n) { call<void (*)(unsigned)>("fake_nvml_set_device_count")(n); }
  void set_init_error(int code) { call<void (*)(int)>("fake_nvml_set_init_error")(code); }
  void set_counter_supported(unsigned device, bool supported) {
    call<void (*)(unsigned, int)>("fake_nvml_set_counter_supported")(device, supported);
  }
  void set_power_supported(unsigned device, bool supported) {
    call<void (*)(unsigned, int)>("fake_nvml_set_power_supported")(device, supported);
  }
  void set_energy_mj(unsigned device, unsigned long long mj) {
    call<void (*)(unsigned, unsigned long long)>("fake_nvml_set_energy_mj")(device, mj);
  }
  void set_power_mw(unsigned device, unsigned mw) {
    call<void (*)(unsigned, unsigned)>("fake_nvml_set_power_mw")(device, mw);
  }
  void set_read_error(unsigned device, int code) {
    call<void (*)(unsigned, int)>("fake_nvml_set_read_error")(device, code);
  }
  /// nvmlInit_v2 calls minus nvmlShutdown calls.
  int init_count() { return call<int (*)()>("fake_nvml_init_count")(); }

 private:
  template <typename F>
  F call(const char* symbol) {
    void* f = handle_ != nullptr ? dlsym(handle_, symbol) : nullptr;
    EXPECT_NE(f, nullptr) << symbol;
    return reinterpret_cast<F>(f);
  }

  ScopedEnv env_;
  void* handle_ = nullptr;
};

}  // namespace eden::energy::testing
