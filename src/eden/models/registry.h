// The one registry of model architectures: name -> factory. Feeds `eden models` and --help.
#pragma once

#include <functional>
#include <string>
#include <vector>

#include "eden/models/classifier.h"

namespace eden::models {

struct ModelSpec {
  std::string name;
  std::string description;
  std::function<Classifier(const ModelOptions&)> factory;
  /// The input normalisation its reference weights were trained with: "imagenet" (torchvision:
  /// ImageNet mean/std) or "unit" (cvnets MobileViT: pixels / 255, no mean/std).
  std::string input_normalization = "imagenet";
};

/// Every built-in model, in display order. Filled once by register_builtin_models().
const std::vector<ModelSpec>& list_models();

/// Builds the model `name` (case-insensitive); throws eden::Error listing valid names.
Classifier create_model(const std::string& name, const ModelOptions& options);

/// The registered spec for `name`; throws eden::Error listing valid names.
const ModelSpec& find_model(const std::string& name);

/// Number of parameters (trainable or not).
int64_t count_parameters(torch::nn::Module& module);

}  // namespace eden::models
