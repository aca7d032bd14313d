// The two E2AM training phases: backbone frozen (head only) and full (every layer).
#pragma once

namespace eden::train {

enum class Phase { kFrozen, kFull };

inline const char* to_string(Phase p) {
  return p == Phase::kFrozen ? "frozen" : "full";
}

}  // namespace eden::train
