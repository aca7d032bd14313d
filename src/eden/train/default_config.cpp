// Embedded default: small CNN on Fashion-MNIST, sized for a few minutes on 2 CPU cores.
#include "eden/train/default_config.h"

namespace eden::train {

const char* default_config_yaml() {
  return R"(# eden run: embedded default
model: small_cnn
data: /usr/share/datasets/fashion-mnist
epochs: 3
batch_size: 128
optimizer: adamw
lr: 0.002
weight_decay: 0.01
schedule: cosine
)";
}

}  // namespace eden::train
