// Caching host allocator: best-fit free lists (at most 1/8 slack) under one mutex.
#include "eden/util/host_allocator.h"

#include <fmt/format.h>

#include <algorithm>
#include <cstdlib>
#include <map>
#include <mutex>
#include <unordered_map>
#include <vector>

#include "eden/util/system.h"
#include "eden/util/torch_compat.h"

namespace eden {
namespace {

constexpr size_t kAlignment = 64;  // LibTorch's CPU alignment (AVX-512 loads)
constexpr size_t kPageBytes = 4096;
constexpr int64_t kMinCapBytes = int64_t{256} << 20;

struct State {
  std::mutex mu;
  std::multimap<size_t, void*> free_blocks;        // size -> cached block
  std::unordered_map<void*, size_t> large_blocks;  // every large block, live or cached
  bool installed = false;
  int64_t cap_bytes = kMinCapBytes;
  int64_t cached_bytes = 0;
  int64_t hits = 0;
  int64_t misses = 0;
};

State& state() {
  static auto* const s = new State;  // NOLINT: never destroyed (tensors outlive statics)
  return *s;
}

void* system_alloc(size_t bytes) {
  void* p = nullptr;
  return posix_memalign(&p, kAlignment, bytes) == 0 ? p : nullptr;
}

/// Moves cached blocks out until `need` more bytes fit under the cap (largest first); the
/// caller frees them outside the lock.
void evict_locked(State& s, int64_t need, std::vector<void*>& out) {
  while (!s.free_blocks.empty() && s.cached_bytes + need > s.cap_bytes) {
    auto it = std::prev(s.free_blocks.end());
    s.cached_bytes -= static_cast<int64_t>(it->first);
    s.large_blocks.erase(it->second);
    out.push_back(it->second);
    s.free_blocks.erase(it);
  }
}

}  // namespace

void* host_alloc(size_t bytes) {
  if (bytes < kHostCacheMinBytes) return system_alloc(bytes);
  const size_t size = (bytes + kPageBytes - 1) / kPageBytes * kPageBytes;
  auto& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.free_blocks.lower_bound(size);
    if (it != s.free_blocks.end() && it->first <= size + size / 8) {
      void* p = it->second;
      s.cached_bytes -= static_cast<int64_t>(it->first);
      s.free_blocks.erase(it);
      ++s.hits;
      return p;
    }
    ++s.misses;
  }
  void* p = system_alloc(size);
  if (p == nullptr) {
    release_cached_host_memory();
    p = system_alloc(size);
    if (p == nullptr) return nullptr;
  }
  std::lock_guard<std::mutex> lock(s.mu);
  s.large_blocks[p] = size;
  return p;
}

void host_free(void* ptr) {
  if (ptr == nullptr) return;
  auto& s = state();
  std::vector<void*> evicted;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    auto it = s.large_blocks.find(ptr);
    if (it != s.large_blocks.end()) {
      const auto size = static_cast<int64_t>(it->second);
      if (size <= s.cap_bytes) {
        evict_locked(s, size, evicted);
        s.free_blocks.emplace(it->second, ptr);
        s.cached_bytes += size;
        ptr = nullptr;
      } else {
        s.large_blocks.erase(it);
      }
    }
  }
  for (void* p : evicted) std::free(p);  // NOLINT: posix_memalign memory
  std::free(ptr);                        // NOLINT
}

void release_cached_host_memory() {
  auto& s = state();
  std::vector<void*> evicted;
  {
    std::lock_guard<std::mutex> lock(s.mu);
    const int64_t cap = s.cap_bytes;
    s.cap_bytes = 0;
    evict_locked(s, 0, evicted);
    s.cap_bytes = cap;
  }
  for (void* p : evicted) std::free(p);  // NOLINT
}

void install_caching_host_allocator(int64_t cap_bytes) {
  auto& s = state();
  {
    std::lock_guard<std::mutex> lock(s.mu);
    s.cap_bytes = cap_bytes > 0 ? cap_bytes : std::max(kMinCapBytes, available_memory_bytes() / 4);
    if (s.installed) return;
    s.installed = true;
  }
  install_cpu_allocator(&host_alloc, &host_free);
}

HostAllocatorStats host_allocator_stats() {
  auto& s = state();
  std::lock_guard<std::mutex> lock(s.mu);
  HostAllocatorStats st;
  st.installed = s.installed;
  st.cap_bytes = s.cap_bytes;
  st.cached_bytes = s.cached_bytes;
  st.hits = s.hits;
  st.misses = s.misses;
  return st;
}

nlohmann::json HostAllocatorStats::json() const {
  if (!installed) return {{"kind", "system"}};
  return {{"kind", "caching"},
          {"cap_bytes", cap_bytes},
          {"cached_bytes", cached_bytes},
          {"reused_blocks", hits},
          {"system_allocations", misses}};
}

std::string HostAllocatorStats::describe() const {
  if (!installed) return "system (glibc malloc)";
  return fmt::format("caching, cap {:.1f} GiB ({} reuses, {} system allocations so far)",
                     static_cast<double>(cap_bytes) / (1 << 30), hits, misses);
}

}  // namespace eden
