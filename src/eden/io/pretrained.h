// Pretrained weights in and out of EDEN models: any supported file (safetensors, torch.save),
// any supported naming (EDEN/torchvision, cvnets, timm), with a head re-initialised when the
// class count differs and an RGB stem folded to one channel for grayscale models.
#pragma once

#include <string>

#include "eden/io/safetensors.h"
#include "eden/io/state_dict.h"
#include "eden/models/classifier.h"

namespace eden::io {

/// The tensors of `path`, by content: a zip archive is read as a torch.save checkpoint
/// (.pt/.pth/.bin), anything else as safetensors. `metadata` receives the safetensors metadata.
TensorDict read_weights(const std::string& path, Metadata* metadata = nullptr);

struct PretrainedOptions {
  /// Fail (before changing the model) when a tensor is missing, unexpected or mis-shaped after
  /// the adjustments below.
  TORCH_ARG(bool, strict) = true;
  /// Keep the model's fresh head when the checkpoint's head has another shape (class count).
  TORCH_ARG(bool, reinit_head_if_class_count_differs) = true;
  /// Sum a 3-channel stem over its input channels for a 1-channel model (equivalent to feeding
  /// the grey image as RGB).
  TORCH_ARG(bool, adapt_input_channels) = true;
};

/// Loads `path` into `model`: reads it, renames keys to EDEN names, drops head tensors of another
/// shape (reported as reinitialized), adapts the stem, then copies. Throws eden::Error (strict)
/// listing what does not match.
LoadReport load_pretrained(models::ClassifierImpl& model, const std::string& path,
                           const PretrainedOptions& options = {});

/// Shorthand for the options above.
LoadReport load_pretrained(models::ClassifierImpl& model, const std::string& path, bool strict,
                           bool reinit_head_if_class_count_differs = true);

/// Writes every parameter and buffer of `module` (PyTorch state_dict order and names) to a
/// safetensors file; adds {"format": "pt"} to `metadata` unless given, as Hugging Face does.
void save_safetensors(const torch::nn::Module& module, const std::string& path,
                      const Metadata& metadata = {});

}  // namespace eden::io
