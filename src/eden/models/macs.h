// Multiply-accumulate counts of one forward pass, for `eden models` and the model card. Counted by
// tracing a batch-1 forward: convolutions and nn::Linear layers from the ops they dispatch, other
// work from what modules declare with record_macs(). Norms, activations and pooling count 0.
#pragma once

#include <cstdint>

#include "eden/models/classifier.h"

namespace eden::models {

/// MACs of model(x) for one (1, in_channels, image_size, image_size) input, in the cvnets
/// profiler's convention (the one of the MobileViT papers): a conv counts
/// k*k*Cin*Cout*Ho*Wo/groups plus Cout*Ho*Wo for its bias, a linear layer in*out + out per token,
/// multi-head attention 2*N*d^2 per sequence. Runs in eval mode without gradients and restores
/// the training flag.
int64_t count_macs(ClassifierImpl& model, const ModelOptions& options);

/// Adds `macs` to the count that count_macs() is taking on this thread; does nothing otherwise.
/// For work that is neither a convolution nor an nn::Linear (attention, say).
void record_macs(int64_t macs);

/// True while count_macs() runs on this thread. Code that can bypass the ATen ops the count
/// traces (split_linear's per-thread GEMMs) takes the plain op then, so the count does not
/// depend on the thread count.
bool counting_macs();

}  // namespace eden::models
