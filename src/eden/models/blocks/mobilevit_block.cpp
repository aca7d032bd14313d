// MobileViTv3 blocks: unfold to patches, attention, fold, fuse, add the input.
#include "eden/models/blocks/mobilevit_block.h"

#include "eden/models/blocks/norm.h"
#include "eden/models/blocks/transformer.h"
#include "eden/util/check.h"

namespace eden::models {
namespace {

namespace F = torch::nn::functional;

int64_t round_up(int64_t v, int64_t multiple) {
  return (v + multiple - 1) / multiple * multiple;
}

torch::Tensor resize(const torch::Tensor& x, int64_t h, int64_t w, bool align_corners) {
  return F::interpolate(x, F::InterpolateFuncOptions()
                               .size(std::vector<int64_t>{h, w})
                               .mode(torch::kBilinear)
                               .align_corners(align_corners));
}

void check_block_options(int64_t channels, int64_t embed_dim, int64_t ffn_dim, int64_t layers,
                         int64_t patch) {
  EDEN_CHECK(channels >= 1 && embed_dim >= 1 && ffn_dim >= 1,
             "MobileViTv3 block: channels, embed_dim and ffn_dim must be >= 1, got ", channels,
             ", ", embed_dim, ", ", ffn_dim);
  EDEN_CHECK(layers >= 1, "MobileViTv3 block: num_layers must be >= 1, got ", layers);
  EDEN_CHECK(patch >= 1, "MobileViTv3 block: patch_size must be >= 1, got ", patch);
}

}  // namespace

torch::Tensor unfold_tokens(const torch::Tensor& x, int64_t patch) {
  const int64_t b = x.size(0), d = x.size(1), h = x.size(2), w = x.size(3);
  EDEN_ASSERT(h % patch == 0 && w % patch == 0, "unfold_tokens: ", h, "x", w, " not divisible by ",
              patch);
  const int64_t nh = h / patch, nw = w / patch, n = nh * nw, p = patch * patch;
  auto t = x.reshape({b * d * nh, patch, nw, patch}).transpose(1, 2);  // (B d nh, nw, ph, pw)
  t = t.reshape({b, d, n, p}).transpose(1, 3);                         // (B, P, N, d)
  return t.reshape({b * p, n, d});
}

torch::Tensor fold_tokens(const torch::Tensor& tokens, int64_t batch, int64_t height, int64_t width,
                          int64_t patch) {
  const int64_t d = tokens.size(2), nh = height / patch, nw = width / patch;
  const int64_t n = nh * nw, p = patch * patch;
  auto t = tokens.reshape({batch, p, n, d}).transpose(1, 3);  // (B, d, N, P)
  t = t.reshape({batch * d * nh, nw, patch, patch}).transpose(1, 2);
  return t.reshape({batch, d, height, width});
}

torch::Tensor unfold_patches(const torch::Tensor& x, int64_t patch) {
  const int64_t b = x.size(0), d = x.size(1), h = x.size(2), w = x.size(3);
  EDEN_ASSERT(h % patch == 0 && w % patch == 0, "unfold_patches: ", h, "x", w, " not divisible by ",
              patch);
  const int64_t nh = h / patch, nw = w / patch;
  // (B, d, nh, ph, nw, pw) -> (B, d, ph, pw, nh, nw)
  return x.reshape({b, d, nh, patch, nw, patch})
      .permute({0, 1, 3, 5, 2, 4})
      .reshape({b, d, patch * patch, nh * nw});
}

torch::Tensor fold_patches(const torch::Tensor& patches, int64_t height, int64_t width,
                           int64_t patch) {
  const int64_t b = patches.size(0), d = patches.size(1);
  const int64_t nh = height / patch, nw = width / patch;
  return patches.reshape({b, d, patch, patch, nh, nw})
      .permute({0, 1, 4, 2, 5, 3})
      .reshape({b, d, height, width});
}

MobileViTv3BlockImpl::MobileViTv3BlockImpl(const MobileViTv3BlockOptions& options_)
    : options(options_) {
  const int64_t c = options.channels(), d = options.embed_dim();
  check_block_options(c, d, options.ffn_dim(), options.num_layers(), options.patch_size());
  local_rep = torch::nn::Sequential();
  local_rep->push_back("conv_3x3", ConvNormAct(ConvNormActOptions::cvnets(c, c, 3).groups(c)));
  local_rep->push_back(
      "conv_1x1",
      ConvNormAct(ConvNormActOptions::cvnets(c, d, 1).norm(false).activation(Activation::kNone)));
  register_module("local_rep", local_rep);
  global_rep = torch::nn::Sequential();
  for (int64_t i = 0; i < options.num_layers(); ++i) {
    global_rep->push_back(TransformerEncoder(TransformerEncoderOptions(d, options.ffn_dim())
                                                 .num_heads(options.num_heads())
                                                 .dropout(options.dropout())
                                                 .attn_dropout(options.attn_dropout())
                                                 .ffn_dropout(options.ffn_dropout())));
  }
  global_rep->push_back(Fp32LayerNorm(d));
  register_module("global_rep", global_rep);
  conv_proj = register_module("conv_proj", ConvNormAct(ConvNormActOptions::cvnets(d, c, 1)));
  fusion = register_module("fusion", ConvNormAct(ConvNormActOptions::cvnets(d + c, c, 1)));
}

torch::Tensor MobileViTv3BlockImpl::forward(torch::Tensor x) {
  const int64_t b = x.size(0), h = x.size(2), w = x.size(3), ps = options.patch_size();
  auto local = local_rep->forward(x);  // (B, d, H, W)
  const int64_t hp = round_up(h, ps), wp = round_up(w, ps);
  const bool resized = hp != h || wp != w;
  auto t = unfold_tokens(resized ? resize(local, hp, wp, false) : local, ps);  // (B P, N, d)
  t = global_rep->forward(t);
  auto g = fold_tokens(t, b, hp, wp, ps);  // (B, d, H', W')
  if (resized) g = resize(g, h, w, false);
  g = conv_proj->forward(g);  // (B, C, H, W)
  return fusion->forward(torch::cat({local.to(g.scalar_type()), g}, 1)) + x;
}

MobileViTv3LinearBlockImpl::MobileViTv3LinearBlockImpl(
    const MobileViTv3LinearBlockOptions& options_)
    : options(options_) {
  const int64_t c = options.channels(), d = options.embed_dim();
  check_block_options(c, d, options.ffn_dim(), options.num_layers(), options.patch_size());
  local_rep = register_module(
      "local_rep",
      torch::nn::Sequential(ConvNormAct(ConvNormActOptions::cvnets(c, c, 3).groups(c)),
                            ConvNormAct(ConvNormActOptions::cvnets(c, d, 1).norm(false).activation(
                                Activation::kNone))));
  global_rep = torch::nn::Sequential();
  for (int64_t i = 0; i < options.num_layers(); ++i) {
    global_rep->push_back(LinearAttnFfn(LinearAttnFfnOptions(d, options.ffn_dim())
                                            .dropout(options.dropout())
                                            .attn_dropout(options.attn_dropout())
                                            .ffn_dropout(options.ffn_dropout())));
  }
  global_rep->push_back(Fp32GroupNorm(1, d));
  register_module("global_rep", global_rep);
  conv_proj = register_module(
      "conv_proj",
      ConvNormAct(ConvNormActOptions::cvnets(2 * d, c, 1).activation(Activation::kNone)));
}

torch::Tensor MobileViTv3LinearBlockImpl::forward(torch::Tensor x) {
  const int64_t ps = options.patch_size();
  const int64_t hp = round_up(x.size(2), ps), wp = round_up(x.size(3), ps);
  if (hp != x.size(2) || wp != x.size(3)) x = resize(x, hp, wp, true);
  auto local = local_rep->forward(x);                       // (B, d, H, W)
  auto p = global_rep->forward(unfold_patches(local, ps));  // (B, d, P, N)
  auto g = fold_patches(p, hp, wp, ps);                     // (B, d, H, W)
  return conv_proj->forward(torch::cat({g, local.to(g.scalar_type())}, 1)) + x;
}

}  // namespace eden::models
