// Progressive unfreezing helpers: freeze/unfreeze the backbone, BatchNorm policy, L1 targets.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

#include "eden/models/classifier.h"

namespace eden::train {

/// Sets requires_grad on every backbone parameter. Freezing also drops their gradients: a
/// zeroed-but-defined gradient would still let AdamW move the weight (LibTorch 1.13 zero_grad).
void set_backbone_trainable(models::ClassifierImpl& model, bool trainable);

/// Puts the backbone's BatchNorm layers in eval mode (running statistics frozen).
/// Call after every model.train(), which is recursive.
void freeze_backbone_batchnorm(models::ClassifierImpl& model);

/// Weight tensors the L1 penalty covers: trainable, at least 2-D (not biases, not norm params).
std::vector<torch::Tensor> l1_targets(torch::nn::Module& model);

/// lambda * sum |W| over l1_targets (a 0-dim fp32 tensor; zero when lambda == 0).
torch::Tensor l1_penalty(const std::vector<torch::Tensor>& weights, double lambda);

/// Fraction of the entries of every >=2-D weight tensor with |w| < threshold.
double weight_sparsity(torch::nn::Module& model, double threshold = 1e-3);

}  // namespace eden::train
