// The embedded default experiment that `eden run` (and `make demo`) runs with no arguments.
#pragma once

namespace eden::train {

/// YAML settings of the default run (Fashion-MNIST from Debian's dataset-fashion-mnist).
const char* default_config_yaml();

}  // namespace eden::train
