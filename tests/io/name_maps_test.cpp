// Checkpoint key maps: timm MobileViT v1/v2 names onto the cvnets names EDEN's MobileViTv3 uses,
// wrapper prefixes, and naming detection. Expected names are spelled out from the reference
// notes' mapping table, not derived from the code under test.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <regex>
#include <set>

#include "eden/io/name_maps.h"
#include "eden/models/registry.h"
#include "eden/util/check.h"

namespace {

using eden::io::CheckpointNaming;
using eden::io::TensorDict;
using eden::io::timm_mobilevit_to_cvnets;

TEST(NameMaps, TimmMobileViTv1Keys) {
  const std::pair<const char*, const char*> kCases[] = {
      {"stem.conv.weight", "conv_1.block.conv.weight"},
      {"stem.bn.running_var", "conv_1.block.norm.running_var"},
      {"stages.0.0.conv1_1x1.conv.weight", "layer_1.0.block.exp_1x1.block.conv.weight"},
      {"stages.1.2.conv3_1x1.bn.bias", "layer_2.2.block.red_1x1.block.norm.bias"},
      {"stages.2.0.conv2_kxk.bn.running_var", "layer_3.0.block.conv_3x3.block.norm.running_var"},
      {"stages.2.1.conv_kxk.conv.weight", "layer_3.1.local_rep.conv_3x3.block.conv.weight"},
      {"stages.2.1.conv_kxk.bn.weight", "layer_3.1.local_rep.conv_3x3.block.norm.weight"},
      {"stages.2.1.conv_1x1.weight", "layer_3.1.local_rep.conv_1x1.block.conv.weight"},
      {"stages.2.1.transformer.0.norm1.weight", "layer_3.1.global_rep.0.pre_norm_mha.0.weight"},
      {"stages.2.1.transformer.0.attn.qkv.weight",
       "layer_3.1.global_rep.0.pre_norm_mha.1.qkv_proj.weight"},
      {"stages.2.1.transformer.1.attn.proj.bias",
       "layer_3.1.global_rep.1.pre_norm_mha.1.out_proj.bias"},
      {"stages.2.1.transformer.1.norm2.bias", "layer_3.1.global_rep.1.pre_norm_ffn.0.bias"},
      {"stages.2.1.transformer.1.mlp.fc1.weight", "layer_3.1.global_rep.1.pre_norm_ffn.1.weight"},
      {"stages.2.1.transformer.1.mlp.fc2.bias", "layer_3.1.global_rep.1.pre_norm_ffn.4.bias"},
      {"stages.2.1.norm.weight", "layer_3.1.global_rep.2.weight"},
      {"stages.3.1.conv_proj.bn.weight", "layer_4.1.conv_proj.block.norm.weight"},
      {"stages.4.1.conv_fusion.conv.weight", "layer_5.1.fusion.block.conv.weight"},
      {"final_conv.bn.num_batches_tracked", "conv_1x1_exp.block.norm.num_batches_tracked"},
      {"head.fc.weight", "classifier.fc.weight"},
      {"something.else", "something.else"},
  };
  for (const auto& [timm, cvnets] : kCases) {
    EXPECT_EQ(timm_mobilevit_to_cvnets(timm, /*v2=*/false, /*stage_depth=*/2), cvnets) << timm;
  }
}

TEST(NameMaps, TimmMobileViTv2Keys) {
  const std::pair<const char*, const char*> kCases[] = {
      {"stages.2.1.conv_kxk.conv.weight", "layer_3.1.local_rep.0.block.conv.weight"},
      {"stages.2.1.conv_kxk.bn.running_mean", "layer_3.1.local_rep.0.block.norm.running_mean"},
      {"stages.2.1.conv_1x1.weight", "layer_3.1.local_rep.1.block.conv.weight"},
      {"stages.3.1.transformer.3.norm1.weight", "layer_4.1.global_rep.3.pre_norm_attn.0.weight"},
      {"stages.3.1.transformer.3.attn.qkv_proj.weight",
       "layer_4.1.global_rep.3.pre_norm_attn.1.qkv_proj.block.conv.weight"},
      {"stages.3.1.transformer.3.attn.out_proj.bias",
       "layer_4.1.global_rep.3.pre_norm_attn.1.out_proj.block.conv.bias"},
      {"stages.3.1.transformer.0.norm2.weight", "layer_4.1.global_rep.0.pre_norm_ffn.0.weight"},
      {"stages.3.1.transformer.0.mlp.fc1.weight",
       "layer_4.1.global_rep.0.pre_norm_ffn.1.block.conv.weight"},
      {"stages.3.1.transformer.0.mlp.fc2.bias",
       "layer_4.1.global_rep.0.pre_norm_ffn.3.block.conv.bias"},
      {"stages.3.1.norm.bias", "layer_4.1.global_rep.4.bias"},
      {"stages.3.1.conv_proj.conv.weight", "layer_4.1.conv_proj.block.conv.weight"},
      {"head.fc.bias", "classifier.1.bias"},
  };
  for (const auto& [timm, cvnets] : kCases) {
    EXPECT_EQ(timm_mobilevit_to_cvnets(timm, /*v2=*/true, /*stage_depth=*/4), cvnets) << timm;
  }
}

/// cvnets -> timm, the reverse of the table in the reference notes (test-side, by regex).
std::string cvnets_to_timm(std::string key, bool v2) {
  const std::vector<std::pair<std::string, std::string>> rules = {
      {R"(^conv_1\.block\.conv\.)", "stem.conv."},
      {R"(^conv_1\.block\.norm\.)", "stem.bn."},
      {R"(^conv_1x1_exp\.block\.conv\.)", "final_conv.conv."},
      {R"(^conv_1x1_exp\.block\.norm\.)", "final_conv.bn."},
      {v2 ? R"(^classifier\.1\.)" : R"(^classifier\.fc\.)", "head.fc."},
      {R"(\.block\.exp_1x1\.block\.conv\.)", ".conv1_1x1.conv."},
      {R"(\.block\.exp_1x1\.block\.norm\.)", ".conv1_1x1.bn."},
      {R"(\.block\.conv_3x3\.block\.conv\.)", ".conv2_kxk.conv."},
      {R"(\.block\.conv_3x3\.block\.norm\.)", ".conv2_kxk.bn."},
      {R"(\.block\.red_1x1\.block\.conv\.)", ".conv3_1x1.conv."},
      {R"(\.block\.red_1x1\.block\.norm\.)", ".conv3_1x1.bn."},
      {R"(\.local_rep\.(conv_3x3|0)\.block\.conv\.)", ".conv_kxk.conv."},
      {R"(\.local_rep\.(conv_3x3|0)\.block\.norm\.)", ".conv_kxk.bn."},
      {R"(\.local_rep\.(conv_1x1|1)\.block\.conv\.)", ".conv_1x1."},
      {R"(\.global_rep\.(\d+)\.pre_norm_(mha|attn)\.0\.)", ".transformer.$1.norm1."},
      {R"(\.global_rep\.(\d+)\.pre_norm_mha\.1\.qkv_proj\.)", ".transformer.$1.attn.qkv."},
      {R"(\.global_rep\.(\d+)\.pre_norm_mha\.1\.out_proj\.)", ".transformer.$1.attn.proj."},
      {R"(\.global_rep\.(\d+)\.pre_norm_attn\.1\.(qkv|out)_proj\.block\.conv\.)",
       ".transformer.$1.attn.$2_proj."},
      {R"(\.global_rep\.(\d+)\.pre_norm_ffn\.0\.)", ".transformer.$1.norm2."},
      {R"(\.global_rep\.(\d+)\.pre_norm_ffn\.1\.(block\.conv\.)?)", ".transformer.$1.mlp.fc1."},
      {R"(\.global_rep\.(\d+)\.pre_norm_ffn\.[34]\.(block\.conv\.)?)", ".transformer.$1.mlp.fc2."},
      {R"(\.global_rep\.\d+\.(weight|bias)$)", ".norm.$1"},
      {R"(\.conv_proj\.block\.conv\.)", ".conv_proj.conv."},
      {R"(\.conv_proj\.block\.norm\.)", ".conv_proj.bn."},
      {R"(\.fusion\.block\.conv\.)", ".conv_fusion.conv."},
      {R"(\.fusion\.block\.norm\.)", ".conv_fusion.bn."},
  };
  for (const auto& [from, to] : rules) key = std::regex_replace(key, std::regex(from), to);
  std::smatch m;
  if (std::regex_match(key, m, std::regex(R"(^layer_(\d)\.(.*)$)"))) {
    key = "stages." + std::to_string(std::stoi(m[1]) - 1) + "." + m[2].str();
  }
  return key;
}

void expect_round_trip(const char* model, bool v2) {
  auto net = eden::models::create_model(model, eden::models::ModelOptions());
  TensorDict timm;
  for (const auto& p : net->named_parameters()) timm.insert(cvnets_to_timm(p.key(), v2), p.value());
  for (const auto& b : net->named_buffers()) timm.insert(cvnets_to_timm(b.key(), v2), b.value());
  ASSERT_EQ(timm.find("stem.conv.weight") != nullptr, true) << model;
  EXPECT_EQ(eden::io::detect_naming(timm),
            v2 ? CheckpointNaming::kTimmMobileViTv2 : CheckpointNaming::kTimmMobileViT);
  const auto back = eden::io::to_eden_names(timm);
  std::set<std::string> expected, actual;
  for (const auto& p : net->named_parameters()) expected.insert(p.key());
  for (const auto& b : net->named_buffers()) expected.insert(b.key());
  for (const auto& item : back) actual.insert(item.key());
  EXPECT_EQ(actual, expected) << model;
}

TEST(NameMaps, WholeModelsRoundTripThroughTimmNames) {
  expect_round_trip("mobilevitv3_xxs", /*v2=*/false);
  expect_round_trip("mobilevitv3_xs_l2", /*v2=*/false);  // stages of 2, 2 and 3 layers
  expect_round_trip("mobilevitv3_0_5", /*v2=*/true);
}

TEST(NameMaps, DetectionAndTorchvisionIdentity) {
  auto resnet = eden::models::create_model("resnet50", eden::models::ModelOptions());
  TensorDict tv;
  for (const auto& p : resnet->named_parameters()) tv.insert(p.key(), p.value());
  EXPECT_EQ(eden::io::detect_naming(tv), CheckpointNaming::kEden);  // timm resnet50.* too
  const auto same = eden::io::to_eden_names(tv);
  ASSERT_EQ(same.size(), tv.size());
  for (size_t i = 0; i < tv.size(); ++i) EXPECT_EQ(same.keys()[i], tv.keys()[i]);
}

TEST(NameMaps, WrapperPrefixesAreStripped) {
  TensorDict t;
  t.insert("encoder.conv_1.block.conv.weight", torch::zeros({1}));
  t.insert("module.encoder.classifier.fc.bias", torch::zeros({1}));
  t.insert("_orig_mod.layer_1.0.x", torch::zeros({1}));
  const auto s = eden::io::strip_wrapper_prefixes(t);
  EXPECT_EQ(s.keys(), (std::vector<std::string>{"conv_1.block.conv.weight", "classifier.fc.bias",
                                                "layer_1.0.x"}));
  TensorDict all_model, some_model;
  all_model.insert("model.a", torch::zeros({1}));
  all_model.insert("model.b", torch::zeros({1}));
  some_model.insert("model.a", torch::zeros({1}));
  some_model.insert("b", torch::zeros({1}));
  EXPECT_EQ(eden::io::strip_wrapper_prefixes(all_model).keys(),
            (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(eden::io::strip_wrapper_prefixes(some_model).keys(),
            (std::vector<std::string>{"model.a", "b"}));
  TensorDict clash;
  clash.insert("encoder.a", torch::zeros({1}));
  clash.insert("a", torch::zeros({1}));
  EXPECT_THROW(eden::io::strip_wrapper_prefixes(clash), eden::Error);
}

}  // namespace
