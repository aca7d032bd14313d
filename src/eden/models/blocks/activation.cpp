// Activation module printing.
#include "eden/models/blocks/activation.h"

namespace eden::models {

void ActivationLayerImpl::pretty_print(std::ostream& stream) const {
  static const char* const kNames[] = {"Identity", "ReLU", "ReLU6", "SiLU"};
  stream << "eden::models::ActivationLayer(" << kNames[static_cast<int>(activation_)] << ")";
}

}  // namespace eden::models
