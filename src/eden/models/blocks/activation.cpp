// Activation module printing.
#include "eden/models/blocks/activation.h"

namespace eden::models {

void ActivationLayerImpl::pretty_print(std::ostream& stream) const {
  stream << "eden::models::ActivationLayer(" << activation_name(activation_) << ")";
}

}  // namespace eden::models
