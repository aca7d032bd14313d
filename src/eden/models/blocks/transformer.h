// Transformer layers of the two MobileViTv3 families: multi-head attention on token sequences
// (v1-based) and MobileViTv2's separable linear attention on channel-first patches (v2-based).
// Module names follow cvnets so checkpoints load name for name.
#pragma once

#include <torch/torch.h>

#include "eden/models/blocks/conv_norm_act.h"
#include "eden/models/blocks/dropout.h"
#include "eden/models/blocks/linear.h"

namespace eden::models {

struct MultiHeadAttentionOptions {
  MultiHeadAttentionOptions(int64_t embed_dim, int64_t num_heads)
      : embed_dim_(embed_dim), num_heads_(num_heads) {}
  TORCH_ARG(int64_t, embed_dim);
  /// embed_dim must divide into num_heads heads.
  TORCH_ARG(int64_t, num_heads);
  /// Dropout on the attention weights.
  TORCH_ARG(double, attn_dropout) = 0.0;
};

/// Self-attention with a fused qkv projection: "qkv_proj" (d -> 3d; rows q | k | v, heads
/// contiguous inside each) and "out_proj" (d -> d), both with bias. No positional encoding.
class MultiHeadAttentionImpl : public torch::nn::Module {
 public:
  explicit MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options);
  /// (B', N, d) -> (B', N, d): attention over the N tokens of each of the B' sequences.
  torch::Tensor forward(torch::Tensor x);

  MultiHeadAttentionOptions options;
  Linear qkv_proj{nullptr}, out_proj{nullptr};
  Dropout attn_dropout{nullptr};
};
TORCH_MODULE(MultiHeadAttention);

struct TransformerEncoderOptions {
  TransformerEncoderOptions(int64_t embed_dim, int64_t ffn_dim)
      : embed_dim_(embed_dim), ffn_dim_(ffn_dim) {}
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, ffn_dim);
  TORCH_ARG(int64_t, num_heads) = 4;
  /// Dropout after attention and after the FFN (cvnets `mit.dropout`).
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(double, attn_dropout) = 0.0;
  /// Dropout between the two FFN linears.
  TORCH_ARG(double, ffn_dropout) = 0.0;
};

/// Pre-norm transformer layer (cvnets TransformerEncoder):
///   t = t + pre_norm_mha(t),  pre_norm_mha = [0: LayerNorm, 1: MultiHeadAttention, 2: Dropout]
///   t = t + pre_norm_ffn(t),  pre_norm_ffn = [0: LayerNorm, 1: Linear(d, ffn), 2: SiLU,
///                                             3: Dropout, 4: Linear(ffn, d), 5: Dropout]
class TransformerEncoderImpl : public torch::nn::Module {
 public:
  explicit TransformerEncoderImpl(const TransformerEncoderOptions& options);
  /// (B', N, d) -> (B', N, d).
  torch::Tensor forward(torch::Tensor x);

  TransformerEncoderOptions options;
  torch::nn::Sequential pre_norm_mha{nullptr}, pre_norm_ffn{nullptr};
};
TORCH_MODULE(TransformerEncoder);

/// MobileViTv2's separable self-attention on (B, d, P, N) patches: one context score per patch,
/// softmax over the N patches, a d-wide context vector, then relu(v) * context.
/// "qkv_proj" = 1x1 conv d -> 1 + 2d (rows q | k | v), "out_proj" = 1x1 conv d -> d, with bias.
class LinearSelfAttentionImpl : public torch::nn::Module {
 public:
  LinearSelfAttentionImpl(int64_t embed_dim, double attn_dropout);
  /// (B, d, P, N) -> (B, d, P, N).
  torch::Tensor forward(torch::Tensor x);

  int64_t embed_dim;
  ConvNormAct qkv_proj{nullptr}, out_proj{nullptr};
  Dropout attn_dropout{nullptr};
};
TORCH_MODULE(LinearSelfAttention);

struct LinearAttnFfnOptions {
  LinearAttnFfnOptions(int64_t embed_dim, int64_t ffn_dim)
      : embed_dim_(embed_dim), ffn_dim_(ffn_dim) {}
  TORCH_ARG(int64_t, embed_dim);
  TORCH_ARG(int64_t, ffn_dim);
  TORCH_ARG(double, dropout) = 0.0;
  TORCH_ARG(double, attn_dropout) = 0.0;
  TORCH_ARG(double, ffn_dropout) = 0.0;
};

/// Pre-norm layer of MobileViTv2 (cvnets LinearAttnFFN), norms are GroupNorm(1, d):
///   z = z + pre_norm_attn(z),  pre_norm_attn = [0: GroupNorm, 1: LinearSelfAttention, 2: Dropout]
///   z = z + pre_norm_ffn(z),   pre_norm_ffn = [0: GroupNorm, 1: 1x1 conv d->ffn + SiLU,
///                                              2: Dropout, 3: 1x1 conv ffn->d, 4: Dropout]
class LinearAttnFfnImpl : public torch::nn::Module {
 public:
  explicit LinearAttnFfnImpl(const LinearAttnFfnOptions& options);
  /// (B, d, P, N) -> (B, d, P, N).
  torch::Tensor forward(torch::Tensor x);

  LinearAttnFfnOptions options;
  torch::nn::Sequential pre_norm_attn{nullptr}, pre_norm_ffn{nullptr};
};
TORCH_MODULE(LinearAttnFfn);

}  // namespace eden::models
