// libFuzzer target: arbitrary bytes through the IDX reader's front end (gunzip when gzip'd, then
// header validation), as read_idx_file does. Only eden::Error is an acceptable way to fail.
#include <cstddef>
#include <cstdint>
#include <vector>

#include "eden/data/idx_format.h"
#include "eden/util/check.h"

namespace {

// An invariant the parser promises; a violation is a bug, reported as a crash.
void require(bool cond) {
  if (!cond) __builtin_trap();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::vector<uint8_t> inflated;
  try {
    if (eden::data::is_gzip(data, size)) {
      inflated = eden::data::gunzip(data, size, "fuzz input");
      data = inflated.data();
      size = inflated.size();
    }
    const eden::data::IdxLayout layout = eden::data::parse_idx_layout(data, size, "fuzz input");
    const size_t rank = layout.shape.size();
    require(rank >= 1 && rank <= 4);
    require(layout.header_bytes == 4 + 4 * rank);
    size_t count = 1;
    for (const int64_t d : layout.shape) {
      require(d > 0);
      count *= static_cast<size_t>(d);
    }
    require(count == layout.count);
    require(layout.header_bytes + layout.count == size);
  } catch (const eden::Error&) {
    // Refused with a reason: the expected outcome for most inputs.
  }
  return 0;
}
