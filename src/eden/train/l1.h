// The E2AM L1 regulariser lambda * sum |W|, applied outside autograd: its gradient
// lambda * sign(W) is added to the weights' gradients in one pass per tensor, with no
// temporaries and no graph nodes (autograd would allocate |W| and sign(W) per tensor per step).
#pragma once

#include <torch/torch.h>

#include <vector>

namespace eden::train {

/// Weight tensors the L1 penalty covers: trainable, at least 2-D (not biases, not norm params).
std::vector<torch::Tensor> l1_targets(torch::nn::Module& model);

/// Adds grad_scale * lambda * sign(W) to each weight's .grad (defining it if absent; sign(0) = 0,
/// as autograd's gradient of |W|) and returns lambda * sum |W| as a 0-dim fp32 tensor (zero, with
/// nothing added, when lambda == 0). grad_scale carries the accumulation window's 1/window and a
/// loss scale, so the sum matches backward() of lambda * sum |W| * grad_scale.
torch::Tensor add_l1_gradient(const std::vector<torch::Tensor>& weights, double lambda,
                              double grad_scale);

}  // namespace eden::train
