// The two E2AM training phases: backbone frozen (head only) and full (every layer).
#pragma once

#include <string_view>

namespace eden::train {

enum class Phase { kFrozen, kFull };

inline const char* to_string(Phase p) {
  return p == Phase::kFrozen ? "frozen" : "full";
}

/// to_string's inverse ("frozen" -> kFrozen; anything else is the full phase).
inline Phase phase_from_string(std::string_view s) {
  return s == "frozen" ? Phase::kFrozen : Phase::kFull;
}

}  // namespace eden::train
