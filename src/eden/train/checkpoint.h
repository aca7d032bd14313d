// checkpoint.pt: the trainer's state in torch.save's format, so that Python reads it with
// torch.load(path, weights_only=True) and gets a dict keyed by names, not by memory addresses:
//
//   {"format": "eden.checkpoint/1", "eden_version": str, "epoch": int (last finished, 0-based),
//    "update": int, "skipped_steps": int,
//    "model": {name: tensor},                         # parameters and buffers, state_dict order
//    "optimizer": {"type": "adamw" | "sgd",
//                  "param_groups": [{"lr", "weight_decay", ..., "params": [name, ...]}],
//                  "state": {name: {"step": int, "exp_avg": t, "exp_avg_sq": t} |
//                  {"momentum_buffer": t}}},
//    "scaler": {"scale": float, "growth_tracker": int}}   # fp16 loss scaling only
//
// Every float (lr, betas, the loss scale) is a 0-dim float64 tensor: PyTorch 1.13's
// weights_only loader cannot read a Python float.
#pragma once

#include <torch/torch.h>

#include <string>

#include "eden/io/torch_save.h"

namespace eden::train {

constexpr const char* kCheckpointFormat = "eden.checkpoint/1";

/// The optimizer's hyper-parameters and per-parameter state under the parameters' names in
/// `model` (AdamW and SGD; FusedAdamW is an AdamW).
io::PickleValue optimizer_to_pickle(torch::optim::Optimizer& optimizer,
                                    const torch::nn::Module& model);

/// Restores what optimizer_to_pickle wrote into an optimizer over the same named parameters
/// (state tensors moved to each parameter's device). Throws eden::Error naming `what` when the
/// type, the groups or a name do not match.
void optimizer_from_pickle(torch::optim::Optimizer& optimizer, const torch::nn::Module& model,
                           const io::PickleValue& saved, const std::string& what);

}  // namespace eden::train
