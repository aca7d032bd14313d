// Backbone/head membership by module name.
#include "eden/models/classifier.h"

namespace eden::models {

bool ClassifierImpl::is_head(const std::string& name) const {
  for (const auto& head : head_modules()) {
    if (name == head || name.rfind(head + ".", 0) == 0) return true;
  }
  return false;
}

}  // namespace eden::models
