// Named tensors in and out of modules: PyTorch-ordered state dicts and a load that reports
// missing, unexpected and mismatched tensors instead of failing on the first one.
#pragma once

#include <torch/torch.h>

#include <string>
#include <vector>

namespace eden::io {

/// Name -> tensor, in insertion order (PyTorch's state_dict order when made by state_dict()).
using TensorDict = torch::OrderedDict<std::string, torch::Tensor>;

/// Parameters and buffers of `module` under their dotted names, in PyTorch's order (pre-order
/// over modules; each module's parameters, then its buffers). Tensors share storage with the
/// module.
TensorDict state_dict(const torch::nn::Module& module);

struct ShapeMismatch {
  std::string name;
  std::vector<int64_t> expected;  ///< the module's shape
  std::vector<int64_t> found;     ///< the checkpoint's shape
};

/// What a load did. Module tensors named `*.num_batches_tracked` are never reported missing
/// (checkpoints often drop them; they only matter for BatchNorm momentum=None).
struct LoadReport {
  std::vector<std::string> loaded;         ///< copied into the module
  std::vector<std::string> missing;        ///< in the module, not in the checkpoint
  std::vector<std::string> unexpected;     ///< in the checkpoint, not in the module
  std::vector<ShapeMismatch> mismatched;   ///< in both, with different shapes (not copied)
  std::vector<std::string> reinitialized;  ///< head tensors left at their fresh initialisation
  std::vector<std::string> adapted;        ///< tensors converted on load (RGB stem -> 1 channel)

  /// True when every module tensor was loaded from a checkpoint without leftovers.
  bool complete() const { return missing.empty() && unexpected.empty() && mismatched.empty(); }
  /// One line per category, listing at most `max_names` names each.
  std::string summary(size_t max_names = 8) const;
};

/// Compares `tensors` with the module's state dict without changing anything.
LoadReport plan_load(const torch::nn::Module& module, const TensorDict& tensors);

/// Copies `tensors` into the module's parameters and buffers (converting dtype and device).
/// strict: throws eden::Error, before changing anything, when a tensor is missing, unexpected or
/// of another shape. Otherwise loads what matches and reports the rest.
LoadReport load_state_dict(torch::nn::Module& module, const TensorDict& tensors,
                           bool strict = true);

}  // namespace eden::io
