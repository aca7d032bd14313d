// register_builtin_models(): the single place where architectures are made known to EDEN.
#include "eden/models/registry.h"

#include <algorithm>
#include <cctype>

#include "eden/models/mobilenet_v2.h"
#include "eden/models/mobilevit_v3.h"
#include "eden/models/mobilevit_v3_linear.h"
#include "eden/models/resnet.h"
#include "eden/models/small_cnn.h"
#include "eden/util/check.h"

namespace eden::models {
namespace {

std::string lower(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(), [](unsigned char c) { return std::tolower(c); });
  return s;
}

template <typename Holder, typename Options>
std::function<Classifier(const ModelOptions&)> factory_for(
    std::function<Options(const ModelOptions&)> make_options) {
  return
      [make_options](const ModelOptions& o) -> Classifier { return Holder(make_options(o)).ptr(); };
}

std::vector<ModelSpec> register_builtin_models() {
  std::vector<ModelSpec> specs;
  auto add = [&](ModelSpec spec) {
    for (const auto& s : specs) {
      EDEN_ASSERT(lower(s.name) != lower(spec.name), "model registered twice: ", spec.name);
    }
    specs.push_back(std::move(spec));
  };
  add({"small_cnn", "3-block CNN for quick runs and tests (94 k backbone parameters)",
       factory_for<SmallCnn, SmallCnnOptions>(
           [](const ModelOptions& o) { return SmallCnnOptions().base(o); })});
  add({"resnet18", "ResNet-18 (torchvision layout and names)",
       factory_for<ResNet, ResNetOptions>(
           [](const ModelOptions& o) { return ResNetOptions::resnet18().base(o); })});
  add({"resnet50", "ResNet-50 v1.5 (torchvision layout and names), the card's baseline",
       factory_for<ResNet, ResNetOptions>(
           [](const ModelOptions& o) { return ResNetOptions::resnet50().base(o); })});
  add({"mobilenetv2", "MobileNetV2 (torchvision layout and names), light CNN reference",
       factory_for<MobileNetV2, MobileNetV2Options>(
           [](const ModelOptions& o) { return MobileNetV2Options().base(o); })});
  // MobileViTv3 (v1-based): MHA transformer; names = the authors' cvnets checkpoint keys.
  struct Variant {
    const char* name;
    MobileViTv3Options (*preset)();
    const char* description;
  };
  const Variant v3[] = {
      {"mobilevitv3_xxs", &MobileViTv3Options::xxs, "MobileViTv3-XXS (MobileViTv1-based)"},
      {"mobilevitv3_xs", &MobileViTv3Options::xs, "MobileViTv3-XS (MobileViTv1-based)"},
      {"mobilevitv3_s", &MobileViTv3Options::s, "MobileViTv3-S (MobileViTv1-based)"},
      {"mobilevitv3_xxs_l2", &MobileViTv3Options::xxs_l2,
       "MobileViTv3-XXS-L2, low latency (2 transformer layers in layer_4)"},
      {"mobilevitv3_xs_l2", &MobileViTv3Options::xs_l2,
       "MobileViTv3-XS-L2, low latency (2 transformer layers in layer_4)"},
      {"mobilevitv3_s_l2", &MobileViTv3Options::s_l2,
       "MobileViTv3-S-L2, low latency (2 transformer layers in layer_4)"},
  };
  for (const auto& v : v3) {
    const auto preset = v.preset;
    add({v.name, v.description,
         factory_for<MobileViTv3, MobileViTv3Options>(
             [preset](const ModelOptions& o) { return preset().base(o); }),
         "unit"});
  }
  // MobileViTv3 (v2-based): separable linear attention, width multiplier.
  struct LinearVariant {
    const char* name;
    double width;
    const char* description;
  };
  const LinearVariant v3_linear[] = {
      {"mobilevitv3_0_5", 0.5, "MobileViTv3-0.5 (MobileViTv2-based, separable linear attention)"},
      {"mobilevitv3_0_75", 0.75,
       "MobileViTv3-0.75 (MobileViTv2-based, separable linear attention)"},
      {"mobilevitv3_1_0", 1.0, "MobileViTv3-1.0 (MobileViTv2-based, separable linear attention)"},
  };
  for (const auto& v : v3_linear) {
    const double w = v.width;
    add({v.name, v.description,
         factory_for<MobileViTv3Linear, MobileViTv3LinearOptions>(
             [w](const ModelOptions& o) { return MobileViTv3LinearOptions::width(w).base(o); }),
         "unit"});
  }
  return specs;
}

}  // namespace

const std::vector<ModelSpec>& list_models() {
  static const std::vector<ModelSpec> kSpecs = register_builtin_models();
  return kSpecs;
}

const ModelSpec& find_model(const std::string& name) {
  const std::string key = lower(name);
  std::string valid;
  for (const auto& spec : list_models()) {
    if (lower(spec.name) == key) return spec;
    valid += (valid.empty() ? "" : ", ") + spec.name;
  }
  EDEN_CHECK(false, "unknown model '", name, "'; available: ", valid);
  return list_models().front();
}

Classifier create_model(const std::string& name, const ModelOptions& options) {
  EDEN_CHECK(options.num_classes() >= 1, "model ", name, ": num_classes must be >= 1, got ",
             options.num_classes());
  EDEN_CHECK(options.in_channels() >= 1, "model ", name, ": in_channels must be >= 1, got ",
             options.in_channels());
  return find_model(name).factory(options);
}

int64_t count_parameters(torch::nn::Module& module) {
  int64_t n = 0;
  for (const auto& p : module.parameters()) n += p.numel();
  return n;
}

}  // namespace eden::models
