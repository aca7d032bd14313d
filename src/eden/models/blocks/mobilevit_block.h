// The MobileViTv3 blocks: local depthwise conv features, global attention over patches, and a
// fusion with a residual add of the block input. Two flavours, one per MobileViTv3 family.
#pragma once

#include <torch/torch.h>

#include "eden/models/blocks/conv_norm_act.h"

namespace eden::models {

struct MobileViTv3BlockOptions {
  MobileViTv3BlockOptions(int64_t channels, int64_t embed_dim, int64_t ffn_dim, int64_t num_layers)
      : channels_(channels), embed_dim_(embed_dim), ffn_dim_(ffn_dim), num_layers_(num_layers) {}
  /// Input and output channels C.
  TORCH_ARG(int64_t, channels);
  /// Transformer width d.
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, ffn_dim);
  /// Transformer layers L.
  TORCH_ARG(int64_t, num_layers);
  TORCH_ARG(int64_t, num_heads) = 4;
  /// Patch side (patches are patch x patch pixels).
  TORCH_ARG(int64_t, patch_size) = 2;
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(double, attn_dropout) = 0.0;
  TORCH_ARG(double, ffn_dropout) = 0.0;
};

/// MobileViTv3 block of XXS/XS/S (MobileViTv1-based), cvnets names:
///   local_rep  = [conv_3x3: depthwise 3x3 + BN + SiLU, conv_1x1: 1x1 C -> d]
///   global_rep = [0 .. L-1: TransformerEncoder, L: LayerNorm]
///   conv_proj  = 1x1 d -> C + BN + SiLU
///   fusion     = 1x1 (d + C) -> C + BN + SiLU on cat(local, global)
///   out = fusion + x
/// Feature maps whose sides are not multiples of the patch are resized bilinearly
/// (align_corners = false) to the next multiple for the attention and back afterwards.
class MobileViTv3BlockImpl : public torch::nn::Module {
 public:
  explicit MobileViTv3BlockImpl(const MobileViTv3BlockOptions& options);
  /// (B, C, H, W) -> (B, C, H, W).
  torch::Tensor forward(torch::Tensor x);

  MobileViTv3BlockOptions options;
  torch::nn::Sequential local_rep{nullptr}, global_rep{nullptr};
  ConvNormAct conv_proj{nullptr}, fusion{nullptr};
};
TORCH_MODULE(MobileViTv3Block);

struct MobileViTv3LinearBlockOptions {
  MobileViTv3LinearBlockOptions(int64_t channels, int64_t embed_dim, int64_t ffn_dim,
                                int64_t num_layers)
      : channels_(channels), embed_dim_(embed_dim), ffn_dim_(ffn_dim), num_layers_(num_layers) {}
  TORCH_ARG(int64_t, channels);
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, ffn_dim);
  TORCH_ARG(int64_t, num_layers);
  TORCH_ARG(int64_t, patch_size) = 2;
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(double, attn_dropout) = 0.0;
  TORCH_ARG(double, ffn_dropout) = 0.0;
};

/// MobileViTv3 block of 0.5/0.75/1.0 (MobileViTv2-based, separable linear attention):
///   local_rep  = [0: depthwise 3x3 + BN + SiLU, 1: 1x1 C -> d]
///   global_rep = [0 .. L-1: LinearAttnFfn, L: GroupNorm(1, d)]
///   conv_proj  = 1x1 2d -> C + BN (no activation) on cat(global, local)
///   out = conv_proj + x
/// An input whose sides are not multiples of the patch is resized bilinearly (align_corners =
/// true) to the next multiple first, and the output keeps that size, as in the reference.
class MobileViTv3LinearBlockImpl : public torch::nn::Module {
 public:
  explicit MobileViTv3LinearBlockImpl(const MobileViTv3LinearBlockOptions& options);
  /// (B, C, H, W) -> (B, C, H', W'), H' and W' rounded up to multiples of the patch.
  torch::Tensor forward(torch::Tensor x);

  MobileViTv3LinearBlockOptions options;
  torch::nn::Sequential local_rep{nullptr}, global_rep{nullptr};
  ConvNormAct conv_proj{nullptr};
};
TORCH_MODULE(MobileViTv3LinearBlock);

/// (B, d, H, W) -> (B * P, N, d) token sequences, P = patch^2 pixel positions, N patches.
/// H and W must be multiples of `patch`.
torch::Tensor unfold_tokens(const torch::Tensor& x, int64_t patch);
/// Exact inverse of unfold_tokens: (B * P, N, d) -> (B, d, H, W).
torch::Tensor fold_tokens(const torch::Tensor& tokens, int64_t batch, int64_t height, int64_t width,
                          int64_t patch);
/// (B, d, H, W) -> (B, d, P, N), as F.unfold(kernel = stride = patch) reshaped.
torch::Tensor unfold_patches(const torch::Tensor& x, int64_t patch);
/// Exact inverse of unfold_patches: (B, d, P, N) -> (B, d, H, W).
torch::Tensor fold_patches(const torch::Tensor& patches, int64_t height, int64_t width,
                           int64_t patch);

}  // namespace eden::models
