// Checkpoint key maps onto EDEN's module names. EDEN's names are torchvision's for ResNet and
// MobileNetV2 (timm's resnet50.* checkpoints use the same names) and the MobileViTv3 authors'
// cvnets names for MobileViTv3, so only timm's MobileViT v1/v2 keys need renaming.
#pragma once

#include <string>

#include "eden/io/state_dict.h"

namespace eden::io {

enum class CheckpointNaming {
  kEden,             ///< EDEN / torchvision / timm ResNet / cvnets names: used as they are
  kTimmMobileViT,    ///< timm mobilevit_* (MobileViT v1): stem., stages.N., final_conv., head.fc
  kTimmMobileViTv2,  ///< timm mobilevitv2_*: stages.N.1.transformer.i.attn.qkv_proj, ...
};

/// "eden", "timm-mobilevit", "timm-mobilevitv2".
std::string to_string(CheckpointNaming naming);

/// Guesses the naming from the keys (after wrapper prefixes are stripped).
CheckpointNaming detect_naming(const TensorDict& tensors);

/// Removes wrapper prefixes: "encoder." (cvnets), "module." (DataParallel), "_orig_mod."
/// (torch.compile), "model." (when every key carries it).
TensorDict strip_wrapper_prefixes(const TensorDict& tensors);

/// A timm MobileViT key in cvnets (= EDEN MobileViTv3) naming; keys that have no counterpart
/// come back unchanged. `v2`: mobilevitv2 naming. `stage_depth`: transformer layers of the
/// stage the key is in (the stage's final norm becomes global_rep.<depth>).
std::string timm_mobilevit_to_cvnets(const std::string& key, bool v2, int64_t stage_depth);

/// Strips wrapper prefixes, then renames every key from `naming` to EDEN names.
TensorDict to_eden_names(const TensorDict& tensors, CheckpointNaming naming);
/// As above with the naming detected from the keys.
TensorDict to_eden_names(const TensorDict& tensors);

}  // namespace eden::io
