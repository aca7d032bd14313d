// The model zoo against its references: exact parameter counts, the MobileViTv3 authors'
// checkpoint keys and shapes (tests/models/data, copied from the reference notes), the
// backbone/head split, grayscale and odd input sizes, and the patch unfold/fold invariants.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <fstream>
#include <set>
#include <sstream>

#include "eden/io/state_dict.h"
#include "eden/models/blocks/mobilevit_block.h"
#include "eden/models/registry.h"
#include "eden/util/check.h"

namespace {

using eden::models::create_model;
using eden::models::ModelOptions;

TEST(ModelZoo, ParameterCountsMatchReferences) {
  // At 1000 classes and 3 channels. MobileViTv3: the authors' README (exact values from the
  // reference counter); resnet*/mobilenetv2: torchvision's published num_params.
  const std::pair<const char*, int64_t> kExpected[] = {
      {"mobilevitv3_xxs", 1249448},   {"mobilevitv3_xs", 2490360},
      {"mobilevitv3_s", 5763912},     {"mobilevitv3_xxs_l2", 1145288},
      {"mobilevitv3_xs_l2", 2257320}, {"mobilevitv3_s_l2", 5169864},
      {"mobilevitv3_0_5", 1429985},   {"mobilevitv3_0_75", 2999641},
      {"mobilevitv3_1_0", 5139409},   {"resnet50", 25557032},
      {"resnet18", 11689512},         {"mobilenetv2", 3504872},
  };
  for (const auto& [name, count] : kExpected) {
    auto model = create_model(name, ModelOptions());
    EXPECT_EQ(eden::models::count_parameters(*model), count) << name;
  }
}

TEST(ModelZoo, EveryModelIsRegisteredCaseInsensitively) {
  for (const char* name :
       {"MobileViTv3_XXS", "mobilevitv3_xs", "mobilevitv3_s", "MOBILEVITV3_XXS_L2",
        "mobilevitv3_xs_l2", "mobilevitv3_s_l2", "mobilevitv3_0_5", "mobilevitv3_0_75",
        "mobilevitv3_1_0", "mobilenetv2", "resnet18", "resnet50"}) {
    EXPECT_NO_THROW(eden::models::find_model(name)) << name;
  }
  try {
    eden::models::find_model("mobilevitv4");
    FAIL() << "no error for an unknown model";
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find("mobilevitv3_0_75"), std::string::npos) << e.what();
  }
}

struct KeyFile {
  const char* model;
  const char* file;
};

void PrintTo(const KeyFile& k, std::ostream* os) {
  *os << k.model << " vs " << k.file;
}

class AuthorsCheckpointKeys : public ::testing::TestWithParam<KeyFile> {};

/// "name\t[d0, d1]" lines -> (name, shape).
std::vector<std::pair<std::string, std::vector<int64_t>>> read_keys(const std::string& path) {
  std::ifstream in(path);
  EXPECT_TRUE(in) << "cannot read " << path;
  std::vector<std::pair<std::string, std::vector<int64_t>>> out;
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty()) continue;
    const auto tab = line.find('\t');
    EXPECT_NE(tab, std::string::npos) << line;
    std::string dims = line.substr(tab + 1);
    for (char& c : dims) {
      if (c == '[' || c == ']' || c == ',') c = ' ';
    }
    std::istringstream ss(dims);
    std::vector<int64_t> shape;
    for (int64_t d; ss >> d;) shape.push_back(d);
    out.emplace_back(line.substr(0, tab), shape);
  }
  return out;
}

TEST_P(AuthorsCheckpointKeys, StateDictMatchesNameForNameInOrder) {
  const auto expected =
      read_keys(std::string(EDEN_SOURCE_DIR) + "/tests/models/data/" + GetParam().file);
  auto model = create_model(GetParam().model, ModelOptions());
  const auto actual = eden::io::state_dict(*model);
  ASSERT_EQ(actual.size(), expected.size());
  size_t i = 0;
  for (const auto& item : actual) {
    const auto& [name, shape] = expected[i++];
    ASSERT_EQ(item.key(), name) << "entry " << i - 1;
    EXPECT_EQ(item.value().sizes().vec(), shape) << name;
  }
}

INSTANTIATE_TEST_SUITE_P(MobileViTv3, AuthorsCheckpointKeys,
                         ::testing::Values(KeyFile{"mobilevitv3_xxs", "mobilevitv3_xxs_v3.txt"},
                                           KeyFile{"mobilevitv3_xs", "mobilevitv3_xs_v3.txt"},
                                           KeyFile{"mobilevitv3_s", "mobilevitv3_s_v3.txt"},
                                           KeyFile{"mobilevitv3_0_5", "mobilevitv3_0_5.txt"},
                                           KeyFile{"mobilevitv3_0_75", "mobilevitv3_0_75.txt"},
                                           KeyFile{"mobilevitv3_1_0", "mobilevitv3_1_0.txt"}),
                         [](const auto& info) { return std::string(info.param.model); });

TEST(ModelZoo, LowLatencyVariantsDropTwoLayer4TransformerLayers) {
  auto full = eden::io::state_dict(*create_model("mobilevitv3_s", ModelOptions()));
  auto l2 = eden::io::state_dict(*create_model("mobilevitv3_s_l2", ModelOptions()));
  for (const auto& item : l2) {
    if (item.key().rfind("layer_4.1.global_rep.2.", 0) == 0) continue;  // final LayerNorm
    ASSERT_NE(full.find(item.key()), nullptr) << item.key();
    EXPECT_EQ(full[item.key()].sizes(), item.value().sizes()) << item.key();
  }
  EXPECT_NE(full.find("layer_4.1.global_rep.3.pre_norm_mha.1.qkv_proj.weight"), nullptr);
  EXPECT_EQ(l2.find("layer_4.1.global_rep.3.pre_norm_mha.1.qkv_proj.weight"), nullptr);
  EXPECT_NE(l2.find("layer_4.1.global_rep.2.weight"), nullptr);  // final LayerNorm moved up
}

TEST(ModelZoo, HeadIsTheLastLinearAndTheRestIsBackbone) {
  for (const auto& spec : eden::models::list_models()) {
    auto model = spec.factory(ModelOptions().num_classes(7));
    int64_t head = 0, backbone = 0;
    std::set<std::string> children;
    for (const auto& c : model->named_children()) children.insert(c.key());
    for (const auto& h : model->head_modules()) {
      EXPECT_TRUE(children.count(h)) << spec.name << ": head module " << h << " is no child";
    }
    for (const auto& p : model->named_parameters()) {
      (model->is_head(p.key()) ? head : backbone) += p.value().numel();
      if (p.value().dim() == 2 && p.value().size(0) == 7) {
        EXPECT_TRUE(model->is_head(p.key())) << spec.name << ": " << p.key();
      }
    }
    EXPECT_GT(head, 0) << spec.name;
    EXPECT_GT(backbone, head) << spec.name;
  }
}

TEST(ModelZoo, GrayscaleAndOddSizesGiveFiniteLogits) {
  // 28: Fashion-MNIST (MobileViT layer_5 is 1x1, below one patch); 45: odd at every stage.
  torch::manual_seed(0);
  for (const auto& spec : eden::models::list_models()) {
    for (int64_t size : {28, 45}) {
      auto model = spec.factory(ModelOptions().num_classes(10).in_channels(1).image_size(size));
      model->eval();
      torch::NoGradGuard no_grad;
      auto y = model->forward(torch::randn({2, 1, size, size}));
      EXPECT_EQ(y.sizes(), (std::vector<int64_t>{2, 10})) << spec.name << " at " << size;
      EXPECT_TRUE(torch::isfinite(y).all().item<bool>()) << spec.name << " at " << size;
    }
  }
}

TEST(ModelZoo, EvalIsDeterministicAndPerSample) {
  // A batch-N forward must equal N batch-1 forwards: catches unfold/fold orders that mix
  // samples, and BN left in batch mode.
  torch::manual_seed(0);
  for (const char* name : {"mobilevitv3_xxs", "mobilevitv3_0_5", "mobilenetv2"}) {
    auto model = create_model(name, ModelOptions().num_classes(5).image_size(40));
    model->eval();
    torch::NoGradGuard no_grad;
    auto x = torch::randn({3, 3, 40, 40});
    auto batch = model->forward(x);
    EXPECT_TRUE(torch::equal(batch, model->forward(x))) << name;
    for (int64_t i = 0; i < 3; ++i) {
      auto single = model->forward(x.narrow(0, i, 1));
      EXPECT_TRUE(torch::allclose(single, batch.narrow(0, i, 1), 1e-4, 1e-5)) << name << " " << i;
    }
  }
}

TEST(MobileViTBlocks, TokenUnfoldGroupsPixelPositionsAndFoldInvertsIt) {
  const int64_t b = 2, d = 3, h = 4, w = 6, ps = 2;
  auto x = torch::arange(b * d * h * w, torch::kFloat).reshape({b, d, h, w});
  auto t = eden::models::unfold_tokens(x, ps);  // (B P, N, d)
  ASSERT_EQ(t.sizes(), (std::vector<int64_t>{b * 4, (h / 2) * (w / 2), d}));
  // Token (b, p = ph * 2 + pw) of patch n = ih * nw + iw, channel c is pixel (2 ih + ph, 2 iw +
  // pw).
  const int64_t nw = w / 2;
  for (int64_t bi = 0; bi < b; ++bi) {
    for (int64_t p = 0; p < 4; ++p) {
      for (int64_t n = 0; n < (h / 2) * nw; ++n) {
        for (int64_t c = 0; c < d; ++c) {
          const int64_t row = 2 * (n / nw) + p / 2, col = 2 * (n % nw) + p % 2;
          ASSERT_EQ(t[bi * 4 + p][n][c].item<float>(), x[bi][c][row][col].item<float>());
        }
      }
    }
  }
  EXPECT_TRUE(torch::equal(eden::models::fold_tokens(t, b, h, w, ps), x));
}

TEST(MobileViTBlocks, PatchUnfoldMatchesTorchUnfoldAndFoldInvertsIt) {
  namespace F = torch::nn::functional;
  auto x = torch::randn({2, 5, 6, 8});
  auto p = eden::models::unfold_patches(x, 2);  // (B, d, P, N)
  auto ref = F::unfold(x, F::UnfoldFuncOptions({2, 2}).stride(2)).reshape({2, 5, 4, 12});
  EXPECT_TRUE(torch::equal(p, ref));
  EXPECT_TRUE(torch::equal(eden::models::fold_patches(p, 6, 8, 2), x));
}

TEST(MobileViTBlocks, OddMapsResizeAsTheReferences) {
  torch::NoGradGuard no_grad;
  eden::models::MobileViTv3Block v1(eden::models::MobileViTv3BlockOptions(8, 8, 16, 1));
  eden::models::MobileViTv3LinearBlock v2(eden::models::MobileViTv3LinearBlockOptions(8, 8, 16, 1));
  v1->eval();
  v2->eval();
  auto x = torch::randn({2, 8, 5, 7});
  // v1-based: resized to 6x8 for attention and back, so the block keeps 5x7.
  EXPECT_EQ(v1->forward(x).sizes(), x.sizes());
  // v2-based: the input itself is resized to 6x8 and the output keeps that size.
  EXPECT_EQ(v2->forward(x).sizes(), (std::vector<int64_t>{2, 8, 6, 8}));
}

}  // namespace
