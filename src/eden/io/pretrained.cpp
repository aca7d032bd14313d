// Loading pretrained weights into EDEN models, and saving them.
#include "eden/io/pretrained.h"

#include "eden/io/name_maps.h"
#include "eden/io/torch_checkpoint.h"
#include "eden/util/check.h"

namespace eden::io {

TensorDict read_weights(const std::string& path, Metadata* metadata) {
  if (looks_like_zip(path)) return read_torch_checkpoint(path);
  auto st = read_safetensors(path);
  if (metadata != nullptr) *metadata = std::move(st.metadata);
  return std::move(st.tensors);
}

LoadReport load_pretrained(models::ClassifierImpl& model, const std::string& path,
                           const PretrainedOptions& options) {
  TensorDict tensors = to_eden_names(read_weights(path));
  const TensorDict own = state_dict(model);
  LoadReport adjustments;
  TensorDict usable;
  for (const auto& item : tensors) {
    const std::string& name = item.key();
    torch::Tensor t = item.value();
    const torch::Tensor* mine = own.find(name);
    if (mine != nullptr && mine->sizes() != t.sizes()) {
      if (options.reinit_head_if_class_count_differs() && model.is_head(name)) {
        adjustments.reinitialized.push_back(name);
        continue;
      }
      // An RGB stem for a grayscale model: (O, 3, k, k) -> (O, 1, k, k).
      if (options.adapt_input_channels() && t.dim() == 4 && mine->dim() == 4 && t.size(1) == 3 &&
          mine->size(1) == 1 && t.size(0) == mine->size(0) && t.size(2) == mine->size(2) &&
          t.size(3) == mine->size(3)) {
        t = t.to(mine->scalar_type()).sum(1, /*keepdim=*/true);
        adjustments.adapted.push_back(name);
      }
    }
    usable.insert(name, t);
  }
  // Head tensors kept at their initialisation are not "missing".
  LoadReport report = plan_load(model, usable);
  std::vector<std::string> missing;
  for (const auto& name : report.missing) {
    bool reinit = false;
    for (const auto& r : adjustments.reinitialized) reinit = reinit || r == name;
    if (!reinit) missing.push_back(name);
  }
  report.missing = std::move(missing);
  report.reinitialized = std::move(adjustments.reinitialized);
  report.adapted = std::move(adjustments.adapted);
  EDEN_CHECK(!options.strict() || report.complete(), "[weights] ", path,
             " does not match the model: ", report.summary(),
             "\n  hint: load it non-strictly to keep the matching tensors");
  TensorDict target = state_dict(model);
  torch::NoGradGuard no_grad;
  for (const auto& name : report.loaded) target[name].copy_(usable[name]);
  return report;
}

LoadReport load_pretrained(models::ClassifierImpl& model, const std::string& path, bool strict,
                           bool reinit_head_if_class_count_differs) {
  return load_pretrained(model, path,
                         PretrainedOptions().strict(strict).reinit_head_if_class_count_differs(
                             reinit_head_if_class_count_differs));
}

void save_safetensors(const torch::nn::Module& module, const std::string& path,
                      const Metadata& metadata) {
  Metadata meta = metadata;
  meta.emplace("format", "pt");
  write_safetensors(path, state_dict(module), meta);
}

}  // namespace eden::io
