// Progressive unfreezing helpers: freeze/unfreeze the backbone, BatchNorm policy, sparsity.
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

/// Puts the backbone's dropout layers in eval mode (identity). Call after every model.train().
void freeze_backbone_dropout(models::ClassifierImpl& model);

/// The backbone's dropout layers that draw in train mode (p > 0), as "name (p = 0.05)".
std::vector<std::string> backbone_dropouts(models::ClassifierImpl& model);

/// What "sparse" means in log.csv and the card: |w| below this.
constexpr double kSparsityThreshold = 1e-3;
/// Fraction of the entries of every >=2-D weight tensor with |w| < threshold.
double weight_sparsity(torch::nn::Module& model, double threshold = kSparsityThreshold);

}  // namespace eden::train
