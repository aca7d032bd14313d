// Multi-head and separable linear attention layers.
#include "eden/models/blocks/transformer.h"

#include <cmath>

#include "eden/models/blocks/activation.h"
#include "eden/models/blocks/linear.h"
#include "eden/models/blocks/norm.h"
#include "eden/models/macs.h"
#include "eden/util/check.h"

namespace eden::models {

MultiHeadAttentionImpl::MultiHeadAttentionImpl(const MultiHeadAttentionOptions& options_)
    : options(options_) {
  const int64_t d = options.embed_dim(), h = options.num_heads();
  EDEN_CHECK(h >= 1 && d % h == 0, "MultiHeadAttention: embed_dim ", d, " does not split into ", h,
             " heads");
  qkv_proj = register_module("qkv_proj", Linear(d, 3 * d));
  out_proj = register_module("out_proj", Linear(d, d));
  attn_dropout = register_module("attn_dropout", Dropout(options.attn_dropout()));
}

torch::Tensor MultiHeadAttentionImpl::forward(torch::Tensor x) {
  const int64_t b = x.size(0), n = x.size(1), d = options.embed_dim();
  const int64_t h = options.num_heads(), hd = d / h;
  // (B', N, 3d) -> (3, B', h, N, hd)
  auto qkv = qkv_proj->forward(x).reshape({b, n, 3, h, hd}).permute({2, 0, 3, 1, 4});
  auto q = qkv[0] * (1.0 / std::sqrt(static_cast<double>(hd)));
  auto k = qkv[1], v = qkv[2];
  auto attn = attn_dropout->forward(torch::softmax(torch::matmul(q, k.transpose(-2, -1)), -1));
  auto out = torch::matmul(attn, v).transpose(1, 2).reshape({b, n, d});  // (B', N, d)
  // cvnets' profiler charges attention 2 * N * d^2 per sequence (not the N^2 * d of the matmuls);
  // the reference MAC table uses that convention.
  record_macs(2 * b * n * d * d);
  return out_proj->forward(out);
}

TransformerEncoderImpl::TransformerEncoderImpl(const TransformerEncoderOptions& options_)
    : options(options_) {
  const int64_t d = options.embed_dim(), f = options.ffn_dim();
  pre_norm_mha = register_module(
      "pre_norm_mha",
      torch::nn::Sequential(Fp32LayerNorm(d),
                            MultiHeadAttention(MultiHeadAttentionOptions(d, options.num_heads())
                                                   .attn_dropout(options.attn_dropout())),
                            Dropout(options.dropout())));
  pre_norm_ffn = register_module(
      "pre_norm_ffn",
      torch::nn::Sequential(Fp32LayerNorm(d), Linear(d, f), ActivationLayer(Activation::kSiLU),
                            Dropout(options.ffn_dropout()), Linear(f, d),
                            Dropout(options.dropout())));
}

torch::Tensor TransformerEncoderImpl::forward(torch::Tensor x) {
  x = x + pre_norm_mha->forward(x);
  return x + pre_norm_ffn->forward(x);
}

LinearSelfAttentionImpl::LinearSelfAttentionImpl(int64_t embed_dim_, double attn_dropout_)
    : embed_dim(embed_dim_) {
  EDEN_CHECK(embed_dim >= 1, "LinearSelfAttention: embed_dim must be >= 1, got ", embed_dim);
  const auto proj = [](int64_t in, int64_t out) {
    return ConvNormAct(ConvNormActOptions::cvnets(in, out, 1)
                           .bias(true)
                           .norm(false)
                           .activation(Activation::kNone));
  };
  qkv_proj = register_module("qkv_proj", proj(embed_dim, 1 + 2 * embed_dim));
  attn_dropout = register_module("attn_dropout", Dropout(attn_dropout_));
  out_proj = register_module("out_proj", proj(embed_dim, embed_dim));
}

torch::Tensor LinearSelfAttentionImpl::forward(torch::Tensor x) {
  const int64_t d = embed_dim;
  auto qkv = qkv_proj->forward(x);  // (B, 1 + 2d, P, N)
  auto q = qkv.narrow(1, 0, 1);     // (B, 1, P, N)
  auto k = qkv.narrow(1, 1, d);
  auto v = qkv.narrow(1, 1 + d, d);
  auto scores = attn_dropout->forward(torch::softmax(q, -1));  // over the N patches
  auto context = (k * scores).sum(-1, /*keepdim=*/true);       // (B, d, P, 1)
  return out_proj->forward(torch::relu(v) * context);
}

LinearAttnFfnImpl::LinearAttnFfnImpl(const LinearAttnFfnOptions& options_) : options(options_) {
  const int64_t d = options.embed_dim(), f = options.ffn_dim();
  pre_norm_attn = register_module(
      "pre_norm_attn",
      torch::nn::Sequential(Fp32GroupNorm(1, d), LinearSelfAttention(d, options.attn_dropout()),
                            Dropout(options.dropout())));
  pre_norm_ffn = register_module(
      "pre_norm_ffn",
      torch::nn::Sequential(
          Fp32GroupNorm(1, d),
          ConvNormAct(ConvNormActOptions::cvnets(d, f, 1).bias(true).norm(false)),
          Dropout(options.ffn_dropout()),
          ConvNormAct(ConvNormActOptions::cvnets(f, d, 1).bias(true).norm(false).activation(
              Activation::kNone)),
          Dropout(options.dropout())));
}

torch::Tensor LinearAttnFfnImpl::forward(torch::Tensor x) {
  x = x + pre_norm_attn->forward(x);
  return x + pre_norm_ffn->forward(x);
}

}  // namespace eden::models
