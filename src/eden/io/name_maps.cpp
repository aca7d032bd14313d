// timm MobileViT -> cvnets key renaming, prefix stripping and naming detection.
#include "eden/io/name_maps.h"

#include <map>
#include <regex>

#include "eden/util/check.h"

namespace eden::io {
namespace {

bool starts_with(const std::string& s, const std::string& prefix) {
  return s.compare(0, prefix.size(), prefix) == 0;
}

/// timm ConvNormAct child -> cvnets ConvLayer child.
std::string conv_norm(const std::string& rest) {
  if (starts_with(rest, "conv.")) return "block.conv." + rest.substr(5);
  if (starts_with(rest, "bn.")) return "block.norm." + rest.substr(3);
  return rest;
}

const std::regex& stage_key() {
  static const std::regex re(R"(^stages\.(\d{1,6})\.(\d{1,6})\.(.*)$)");
  return re;
}

}  // namespace

std::string to_string(CheckpointNaming naming) {
  switch (naming) {
    case CheckpointNaming::kEden:
      return "eden";
    case CheckpointNaming::kTimmMobileViT:
      return "timm-mobilevit";
    case CheckpointNaming::kTimmMobileViTv2:
      return "timm-mobilevitv2";
  }
  return "?";
}

TensorDict strip_wrapper_prefixes(const TensorDict& tensors) {
  TensorDict out;
  bool all_model = !tensors.is_empty();
  for (const auto& item : tensors) all_model = all_model && starts_with(item.key(), "model.");
  for (const auto& item : tensors) {
    std::string key = item.key();
    bool changed = true;
    while (changed) {
      changed = false;
      for (const char* prefix : {"module.", "_orig_mod.", "encoder."}) {
        if (starts_with(key, prefix)) {
          key = key.substr(std::string(prefix).size());
          changed = true;
        }
      }
    }
    if (all_model && starts_with(key, "model.")) key = key.substr(6);
    EDEN_CHECK(out.find(key) == nullptr, "[weights] keys '", item.key(),
               "' and another both map to '", key, "' after removing wrapper prefixes");
    out.insert(key, item.value());
  }
  return out;
}

CheckpointNaming detect_naming(const TensorDict& tensors) {
  bool timm = false, v2 = false;
  for (const auto& item : tensors) {
    const auto& k = item.key();
    if (starts_with(k, "stem.conv.") || starts_with(k, "stages.")) timm = true;
    if (k.find(".attn.qkv_proj.") != std::string::npos) v2 = true;
  }
  if (!timm) return CheckpointNaming::kEden;
  return v2 ? CheckpointNaming::kTimmMobileViTv2 : CheckpointNaming::kTimmMobileViT;
}

std::string timm_mobilevit_to_cvnets(const std::string& key, bool v2, int64_t stage_depth) {
  if (starts_with(key, "stem.")) return "conv_1." + conv_norm(key.substr(5));
  if (starts_with(key, "final_conv.")) return "conv_1x1_exp." + conv_norm(key.substr(11));
  if (starts_with(key, "head.fc."))
    return (v2 ? "classifier.1." : "classifier.fc.") + key.substr(8);
  std::smatch m;
  if (!std::regex_match(key, m, stage_key())) return key;
  const std::string layer =
      "layer_" + std::to_string(std::stoll(m[1]) + 1) + "." + m[2].str() + ".";
  const std::string rest = m[3];
  // Inverted residual.
  static const std::pair<const char*, const char*> kIr[] = {{"conv1_1x1.", "block.exp_1x1."},
                                                            {"conv2_kxk.", "block.conv_3x3."},
                                                            {"conv3_1x1.", "block.red_1x1."}};
  for (const auto& [timm, cvnets] : kIr) {
    if (starts_with(rest, timm))
      return layer + cvnets + conv_norm(rest.substr(std::string(timm).size()));
  }
  // MobileViT block.
  if (starts_with(rest, "conv_kxk.")) {
    return layer + (v2 ? "local_rep.0." : "local_rep.conv_3x3.") + conv_norm(rest.substr(9));
  }
  if (starts_with(rest, "conv_1x1.")) {
    return layer + (v2 ? "local_rep.1.block.conv." : "local_rep.conv_1x1.block.conv.") +
           rest.substr(9);
  }
  if (starts_with(rest, "conv_proj.")) return layer + "conv_proj." + conv_norm(rest.substr(10));
  if (starts_with(rest, "conv_fusion.")) return layer + "fusion." + conv_norm(rest.substr(12));
  if (starts_with(rest, "norm.")) {
    return layer + "global_rep." + std::to_string(stage_depth) + "." + rest.substr(5);
  }
  static const std::regex transformer(R"(^transformer\.(\d{1,6})\.(.*)$)");
  std::smatch t;
  if (!std::regex_match(rest, t, transformer)) return key;
  const std::string prefix = layer + "global_rep." + t[1].str() + ".";
  const std::string sub = t[2];
  static const std::pair<const char*, const char*> kV1[] = {
      {"norm1.", "pre_norm_mha.0."},
      {"attn.qkv.", "pre_norm_mha.1.qkv_proj."},
      {"attn.proj.", "pre_norm_mha.1.out_proj."},
      {"norm2.", "pre_norm_ffn.0."},
      {"mlp.fc1.", "pre_norm_ffn.1."},
      {"mlp.fc2.", "pre_norm_ffn.4."}};
  static const std::pair<const char*, const char*> kV2[] = {
      {"norm1.", "pre_norm_attn.0."},
      {"attn.qkv_proj.", "pre_norm_attn.1.qkv_proj.block.conv."},
      {"attn.out_proj.", "pre_norm_attn.1.out_proj.block.conv."},
      {"norm2.", "pre_norm_ffn.0."},
      {"mlp.fc1.", "pre_norm_ffn.1.block.conv."},
      {"mlp.fc2.", "pre_norm_ffn.3.block.conv."}};
  for (const auto& [timm, cvnets] : (v2 ? kV2 : kV1)) {
    if (starts_with(sub, timm)) return prefix + cvnets + sub.substr(std::string(timm).size());
  }
  return key;
}

TensorDict to_eden_names(const TensorDict& tensors, CheckpointNaming naming) {
  TensorDict stripped = strip_wrapper_prefixes(tensors);
  if (naming == CheckpointNaming::kEden) return stripped;
  const bool v2 = naming == CheckpointNaming::kTimmMobileViTv2;
  // Transformer depth per stage, for the stage's final norm.
  std::map<std::string, int64_t> depth;
  static const std::regex layer_re(R"(^stages\.(\d{1,6})\.(\d{1,6})\.transformer\.(\d{1,6})\..*$)");
  for (const auto& item : stripped) {
    std::smatch m;
    if (std::regex_match(item.key(), m, layer_re)) {
      auto& d = depth[m[1].str() + "." + m[2].str()];
      d = std::max<int64_t>(d, std::stoll(m[3]) + 1);
    }
  }
  static const std::regex block_re(R"(^stages\.(\d{1,6})\.(\d{1,6})\..*$)");
  TensorDict out;
  for (const auto& item : stripped) {
    std::smatch m;
    int64_t stage_depth = 0;
    if (std::regex_match(item.key(), m, block_re)) {
      auto it = depth.find(m[1].str() + "." + m[2].str());
      if (it != depth.end()) stage_depth = it->second;
    }
    const std::string key = timm_mobilevit_to_cvnets(item.key(), v2, stage_depth);
    EDEN_CHECK(out.find(key) == nullptr, "[weights] two checkpoint keys map to '", key, "'");
    out.insert(key, item.value());
  }
  return out;
}

TensorDict to_eden_names(const TensorDict& tensors) {
  return to_eden_names(tensors, detect_naming(strip_wrapper_prefixes(tensors)));
}

}  // namespace eden::io
