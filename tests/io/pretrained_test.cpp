// Pretrained weights in and out of models: save -> load reproduces the outputs, strict loads list
// what does not match and change nothing, heads of another class count are re-initialised, an
// RGB stem folds to one channel, and cvnets/timm checkpoints load under their own names.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cstring>
#include <filesystem>
#include <fstream>

#include "eden/io/pretrained.h"
#include "eden/io/torch_checkpoint.h"
#include "eden/models/registry.h"
#include "eden/util/check.h"

namespace fs = std::filesystem;
using eden::io::TensorDict;
using eden::models::create_model;
using eden::models::ModelOptions;

namespace {

class Pretrained : public ::testing::Test {
 protected:
  void SetUp() override {
    torch::manual_seed(0);
    dir_ = fs::temp_directory_path() / ("eden_pre_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    fs::remove_all(dir_, ec);
  }
  std::string path(const std::string& name) const { return (dir_ / name).string(); }

  /// Eval-mode logits of `model` on a fixed input.
  static torch::Tensor logits(eden::models::ClassifierImpl& model, int64_t channels = 3) {
    torch::manual_seed(42);
    model.eval();
    torch::NoGradGuard no_grad;
    return model.forward(torch::randn({2, channels, 48, 48}));
  }

  fs::path dir_;
};

TEST_F(Pretrained, SaveThenLoadReproducesOutputsAndMetadata) {
  for (const char* name : {"mobilevitv3_xxs", "mobilevitv3_0_5", "mobilenetv2"}) {
    const auto o = ModelOptions().num_classes(10).image_size(48);
    auto a = create_model(name, o);
    // Non-trivial BN statistics, so buffers are checked as well as parameters.
    a->train();
    {
      torch::NoGradGuard no_grad;
      a->forward(torch::randn({4, 3, 48, 48}));
    }
    eden::io::save_safetensors(*a, path("m.safetensors"), {{"architecture", name}});
    auto b = create_model(name, o);
    const auto report = eden::io::load_pretrained(*b, path("m.safetensors"));
    EXPECT_TRUE(report.complete()) << report.summary();
    EXPECT_TRUE(torch::equal(logits(*a), logits(*b))) << name;
    eden::io::Metadata meta;
    eden::io::read_weights(path("m.safetensors"), &meta);
    EXPECT_EQ(meta.at("architecture"), name);
    EXPECT_EQ(meta.at("format"), "pt");
  }
}

TEST_F(Pretrained, OtherClassCountReinitialisesTheHead) {
  auto source = create_model("mobilevitv3_xxs", ModelOptions().num_classes(1000));
  eden::io::save_safetensors(*source, path("in1k.safetensors"));
  auto target = create_model("mobilevitv3_xxs", ModelOptions().num_classes(10));
  const auto fresh_head = target->named_parameters()["classifier.fc.weight"].clone();
  const auto report = eden::io::load_pretrained(*target, path("in1k.safetensors"));
  EXPECT_TRUE(report.complete()) << report.summary();
  EXPECT_EQ(report.reinitialized,
            (std::vector<std::string>{"classifier.fc.weight", "classifier.fc.bias"}));
  EXPECT_TRUE(torch::equal(target->named_parameters()["classifier.fc.weight"], fresh_head));
  EXPECT_TRUE(torch::equal(target->named_parameters()["conv_1.block.conv.weight"],
                           source->named_parameters()["conv_1.block.conv.weight"]));
  // Without re-initialisation the same file is a strict-load error naming the head.
  auto other = create_model("mobilevitv3_xxs", ModelOptions().num_classes(10));
  try {
    eden::io::load_pretrained(*other, path("in1k.safetensors"), /*strict=*/true,
                              /*reinit_head_if_class_count_differs=*/false);
    FAIL() << "mismatched head accepted";
  } catch (const eden::Error& e) {
    EXPECT_NE(
        std::string(e.what()).find("classifier.fc.weight model [10, 512] vs file [1000, 512]"),
        std::string::npos)
        << e.what();
  }
}

TEST_F(Pretrained, StrictLoadListsProblemsAndChangesNothing) {
  auto source = create_model("resnet18", ModelOptions().num_classes(4));
  auto sd = eden::io::state_dict(*source);
  TensorDict edited;
  for (const auto& item : sd) {
    if (item.key() != "layer1.0.conv1.weight") edited.insert(item.key(), item.value());
  }
  edited.insert("extra.weight", torch::zeros({1}));
  eden::io::write_safetensors(path("edited.safetensors"), edited);

  auto target = create_model("resnet18", ModelOptions().num_classes(4));
  const auto before = logits(*target);
  try {
    eden::io::load_pretrained(*target, path("edited.safetensors"));
    FAIL() << "strict load accepted a missing and an unexpected tensor";
  } catch (const eden::Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("missing (1): layer1.0.conv1.weight"), std::string::npos) << what;
    EXPECT_NE(what.find("unexpected (1): extra.weight"), std::string::npos) << what;
  }
  EXPECT_TRUE(torch::equal(logits(*target), before)) << "a failed strict load changed weights";

  const auto report = eden::io::load_pretrained(*target, path("edited.safetensors"), false);
  EXPECT_EQ(report.missing, std::vector<std::string>{"layer1.0.conv1.weight"});
  EXPECT_EQ(report.unexpected, std::vector<std::string>{"extra.weight"});
  EXPECT_TRUE(torch::equal(target->named_parameters()["fc.weight"],
                           source->named_parameters()["fc.weight"]));
}

TEST_F(Pretrained, RgbStemFoldsToGrayscale) {
  auto rgb = create_model("mobilevitv3_0_5", ModelOptions().num_classes(5));
  eden::io::save_safetensors(*rgb, path("rgb.safetensors"));
  auto gray = create_model("mobilevitv3_0_5", ModelOptions().num_classes(5).in_channels(1));
  const auto report = eden::io::load_pretrained(*gray, path("rgb.safetensors"));
  EXPECT_EQ(report.adapted, std::vector<std::string>{"conv_1.block.conv.weight"});
  // A grey image through the folded stem equals the same image as RGB through the original.
  torch::manual_seed(5);
  auto g = torch::randn({2, 1, 48, 48});
  rgb->eval();
  gray->eval();
  torch::NoGradGuard no_grad;
  EXPECT_TRUE(
      torch::allclose(gray->forward(g), rgb->forward(g.expand({2, 3, 48, 48})), 1e-4, 1e-5));
}

TEST_F(Pretrained, CvnetsEncoderPrefixAndTorchSaveFiles) {
  auto source = create_model("mobilevitv3_xxs", ModelOptions());
  TensorDict prefixed;
  for (const auto& item : eden::io::state_dict(*source)) {
    prefixed.insert("encoder." + item.key(), item.value());
  }
  eden::io::write_safetensors(path("cvnets.safetensors"), prefixed);
  auto target = create_model("mobilevitv3_xxs", ModelOptions());
  EXPECT_TRUE(eden::io::load_pretrained(*target, path("cvnets.safetensors")).complete());

  // A torch.save-format file (LibTorch's pickle_save writes the same zip layout).
  c10::Dict<std::string, at::Tensor> d;
  for (const auto& item : eden::io::state_dict(*source)) d.insert(item.key(), item.value());
  const auto bytes = torch::pickle_save(c10::IValue(d));
  {
    std::ofstream out(path("cvnets.pt"), std::ios::binary);
    out.write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
  }
  auto target2 = create_model("mobilevitv3_xxs", ModelOptions());
  EXPECT_TRUE(eden::io::load_pretrained(*target2, path("cvnets.pt")).complete());
  EXPECT_TRUE(torch::equal(logits(*source), logits(*target2)));
}

TEST_F(Pretrained, TimmMobileViTv2WeightsFitAllButConvProj) {
  // timm mobilevitv2_050 has every tensor of mobilevitv3_0_5 under timm names, except conv_proj
  // (in-channels d there, 2d here). Emulate one from our own weights.
  auto v3 = create_model("mobilevitv3_0_5", ModelOptions());
  TensorDict timm;
  for (const auto& item : eden::io::state_dict(*v3)) {
    std::string k = item.key();
    torch::Tensor t = item.value();
    const auto replace = [&](const std::string& from, const std::string& to) {
      const auto pos = k.find(from);
      if (pos != std::string::npos) k.replace(pos, from.size(), to);
    };
    replace("conv_1.block.conv.", "stem.conv.");
    replace("conv_1.block.norm.", "stem.bn.");
    replace("classifier.1.", "head.fc.");
    for (const char* ir : {"exp_1x1", "conv_3x3", "red_1x1"}) {
      const std::string timm_name = std::string(ir) == "exp_1x1"    ? "conv1_1x1"
                                    : std::string(ir) == "conv_3x3" ? "conv2_kxk"
                                                                    : "conv3_1x1";
      replace(std::string(".block.") + ir + ".block.conv.", "." + timm_name + ".conv.");
      replace(std::string(".block.") + ir + ".block.norm.", "." + timm_name + ".bn.");
    }
    replace(".local_rep.0.block.conv.", ".conv_kxk.conv.");
    replace(".local_rep.0.block.norm.", ".conv_kxk.bn.");
    replace(".local_rep.1.block.conv.", ".conv_1x1.");
    replace(".conv_proj.block.conv.", ".conv_proj.conv.");
    replace(".conv_proj.block.norm.", ".conv_proj.bn.");
    replace(".pre_norm_attn.0.", ".norm1.");
    replace(".pre_norm_attn.1.qkv_proj.block.conv.", ".attn.qkv_proj.");
    replace(".pre_norm_attn.1.out_proj.block.conv.", ".attn.out_proj.");
    replace(".pre_norm_ffn.0.", ".norm2.");
    replace(".pre_norm_ffn.1.block.conv.", ".mlp.fc1.");
    replace(".pre_norm_ffn.3.block.conv.", ".mlp.fc2.");
    replace(".global_rep.", ".transformer.");
    if (k.rfind("layer_", 0) == 0) k = "stages." + std::to_string(k[6] - '1') + k.substr(7);
    // The stage's final GroupNorm is timm's "norm" (transformer.<L> here).
    for (const char* stage_norm :
         {"stages.2.1.transformer.2.", "stages.3.1.transformer.4.", "stages.4.1.transformer.3."}) {
      if (k.rfind(stage_norm, 0) == 0) k = k.substr(0, 11) + "norm." + k.substr(strlen(stage_norm));
    }
    if (k.find(".conv_proj.conv.weight") != std::string::npos) {
      t = t.narrow(1, 0, t.size(1) / 2).contiguous();  // v2: conv_proj takes d channels
    }
    timm.insert("model." + k, t);  // some exports wrap everything in "model."
  }
  eden::io::write_safetensors(path("timm_v2.safetensors"), timm);
  auto target = create_model("mobilevitv3_0_5", ModelOptions());
  const auto report = eden::io::load_pretrained(*target, path("timm_v2.safetensors"), false);
  EXPECT_TRUE(report.missing.empty()) << report.summary();
  EXPECT_TRUE(report.unexpected.empty()) << report.summary();
  std::vector<std::string> mismatched;
  for (const auto& m : report.mismatched) mismatched.push_back(m.name);
  EXPECT_EQ(mismatched, (std::vector<std::string>{"layer_3.1.conv_proj.block.conv.weight",
                                                  "layer_4.1.conv_proj.block.conv.weight",
                                                  "layer_5.1.conv_proj.block.conv.weight"}));
  EXPECT_EQ(report.loaded.size() + 3, eden::io::state_dict(*target).size());
}

}  // namespace
