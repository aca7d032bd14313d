// Frozen-backbone feature cache: cached frozen epochs train the same head as uncached ones (fp32,
// bf16 AMP, accumulation, L1, a backbone with dropout turned off), auto refuses where the results
// would change and says why, the memory budget is checked, and a resume in the middle of the
// frozen phase rebuilds the cache and ends where an uninterrupted run does.
#include <gtest/gtest.h>

#include <cmath>

#include <nlohmann/json.hpp>

#include "../common/csv_column.h"
#include "../common/temp_dir.h"
#include "eden/io/safetensors.h"
#include "eden/models/registry.h"
#include "eden/report/model_card.h"
#include "eden/report/run_record.h"
#include "eden/train/feature_cache.h"
#include "eden/train/freeze.h"
#include "eden/train/run.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace fs = std::filesystem;
using namespace eden;
using eden::testing::csv_column;

namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

class FeatureCacheRun : public eden::testing::TempDirTest {
 protected:
  void SetUp() override {
    if (!fs::exists(kData)) GTEST_SKIP() << kData << " missing (dataset-fashion-mnist)";
    eden::testing::TempDirTest::SetUp();
    data_ = train::load_data(config("data"));
  }
  /// Three frozen epochs of small_cnn on 1536 images, with accumulation and L1 on the head.
  train::TrainConfig config(const std::string& name) const {
    train::TrainConfig c;
    c.model = "small_cnn";
    c.epochs = 3;
    c.unfreeze_epoch = 3;
    c.batch_size = 64;
    c.accum = 2;
    c.l1 = 1e-4;
    c.lr = 3e-3;
    c.device = "cpu";
    c.threads = 1;
    c.energy_interval_ms = 20;
    c.data = kData;
    c.train_limit = 1536;
    c.eval_limit = 512;
    c.out = (dir_ / name).string();
    return c;
  }
  train::RunSummary run(const train::TrainConfig& c,
                        std::vector<train::TrainerCallback*> callbacks = {}) const {
    train::RunOptions ro;
    ro.progress = false;
    ro.callbacks = std::move(callbacks);
    return train::train_run(c, data_, ro);
  }
  nlohmann::json cache_info(const std::string& name) const {
    return nlohmann::json::parse(read_file(dir_ / name / "run.json")).at("feature_cache");
  }
  data::DataSplits data_;
};

io::TensorDict weights(const fs::path& dir) {
  return io::read_safetensors((dir / "model.safetensors").string()).tensors;
}

/// Largest |a - b| / max(|b|, 1e-3) over every tensor whose name starts with `prefix`.
double max_relative_difference(const io::TensorDict& a, const io::TensorDict& b,
                               const std::string& prefix) {
  double worst = 0.0;
  int64_t compared = 0;
  for (const auto& item : a) {
    if (item.key().rfind(prefix, 0) != 0) continue;
    const auto x = item.value().to(torch::kDouble);
    const auto y = b[item.key()].to(torch::kDouble);
    worst = std::max(worst, ((x - y).abs() / y.abs().clamp_min(1e-3)).max().item<double>());
    ++compared;
  }
  EXPECT_GT(compared, 0) << "no tensor named " << prefix << "*";
  return worst;
}

/// ||a - b|| / ||b|| over every tensor of a whose name starts with prefix, as one vector.
double relative_l2_difference(const io::TensorDict& a, const io::TensorDict& b,
                              const std::string& prefix) {
  double diff2 = 0.0, norm2 = 0.0;
  for (const auto& item : a) {
    if (item.key().rfind(prefix, 0) != 0) continue;
    const auto x = item.value().to(torch::kDouble);
    const auto y = b[item.key()].to(torch::kDouble);
    diff2 += (x - y).pow(2).sum().item<double>();
    norm2 += y.pow(2).sum().item<double>();
  }
  EXPECT_GT(norm2, 0.0) << "no tensor named " << prefix << "*";
  return std::sqrt(diff2 / norm2);
}

}  // namespace

TEST(FeatureCachePlan, AutoCachesOnlyWhereTheResultsAreUnchanged) {
  auto small = models::create_model(
      "small_cnn", models::ModelOptions().num_classes(10).in_channels(1).image_size(28));
  auto vit = models::create_model("mobilevitv3_xxs",
                                  models::ModelOptions().num_classes(10).image_size(32));
  train::TrainConfig c;
  c.unfreeze_epoch = 2;
  auto p = train::plan_feature_cache(c, *small, "");
  EXPECT_TRUE(p.train && p.eval) << p.summary();
  EXPECT_EQ(p.reason, "");
  EXPECT_EQ(p.summary(), "frozen cache: training and evaluation features (--frozen-cache auto)");

  c.frozen_bn = "train";
  p = train::plan_feature_cache(c, *small, "");
  EXPECT_FALSE(p.train || p.eval);
  EXPECT_NE(p.reason.find("--frozen-bn train"), std::string::npos) << p.reason;
  c.frozen_bn = "eval";

  p = train::plan_feature_cache(c, *small, "random-resized-crop + hflip");
  EXPECT_FALSE(p.train);
  EXPECT_TRUE(p.eval);  // evaluation images are never augmented
  EXPECT_NE(p.reason.find("random augmentation (random-resized-crop + hflip)"), std::string::npos)
      << p.reason;
  EXPECT_NE(p.summary().find("evaluation features only"), std::string::npos) << p.summary();

  // MobileViTv3's transformers have dropout 0.05 in the backbone.
  c.frozen_dropout = "train";
  p = train::plan_feature_cache(c, *vit, "");
  EXPECT_FALSE(p.train);
  EXPECT_NE(p.reason.find("dropout is active in the frozen backbone (layer_3."), std::string::npos)
      << p.reason;
  EXPECT_NE(p.reason.find("p = 0.05"), std::string::npos) << p.reason;
  EXPECT_TRUE(train::plan_feature_cache(c, *small, "").train);  // small_cnn's dropout is the head's
  c.frozen_dropout = "eval";
  EXPECT_TRUE(train::plan_feature_cache(c, *vit, "").train);

  c.frozen_cache = "on";
  c.frozen_dropout = "train";
  p = train::plan_feature_cache(c, *vit, "hflip");
  EXPECT_TRUE(p.train && p.eval && p.augmentation_off && p.dropout_off);
  EXPECT_EQ(p.reason,
            "random augmentation (hflip) off, the backbone's dropout off for the frozen epochs");

  c.frozen_cache = "off";
  EXPECT_FALSE(train::plan_feature_cache(c, *small, "").any());
  c.frozen_cache = "auto";
  c.unfreeze_epoch = 0;
  p = train::plan_feature_cache(c, *small, "");
  EXPECT_FALSE(p.any());
  EXPECT_NE(p.reason.find("no frozen epochs"), std::string::npos);
  c.unfreeze_epoch = train::kUnfreezeAuto;
  EXPECT_TRUE(train::plan_feature_cache(c, *small, "").train);
}

TEST(FeatureCachePlan, EveryModelsFrozenBackboneIsAFunctionOfItsInput) {
  // What auto relies on: with BatchNorm and dropout in eval mode (the frozen phase's modes), the
  // backbone has no other source of randomness or state.
  for (const auto& spec : models::list_models()) {
    auto model = spec.factory(models::ModelOptions().num_classes(5).image_size(32));
    model->train();
    train::freeze_backbone_batchnorm(*model);
    train::freeze_backbone_dropout(*model);
    torch::NoGradGuard no_grad;
    const auto x = torch::randn({2, 3, 32, 32});
    const auto before = model->buffers();
    std::vector<torch::Tensor> saved;
    for (const auto& b : before) saved.push_back(b.clone());
    torch::manual_seed(1);
    const auto f1 = model->forward_features(x);
    torch::manual_seed(2);
    const auto f2 = model->forward_features(x);
    EXPECT_TRUE(torch::equal(f1, f2)) << spec.name;
    for (size_t i = 0; i < saved.size(); ++i)
      EXPECT_TRUE(torch::equal(before[i], saved[i])) << spec.name;
    EXPECT_EQ(f1.dim(), 2) << spec.name;  // pooled (B, F): small enough to keep per image
  }
}

TEST(FeatureCachePlan, OnWithATrainingBatchNormIsRefused) {
  train::TrainConfig c;
  c.unfreeze_epoch = 1;
  c.frozen_cache = "on";
  c.frozen_bn = "train";
  try {
    train::validate(c);
    FAIL() << "accepted";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("--frozen-cache on needs --frozen-bn eval"),
              std::string::npos)
        << e.what();
  }
}

TEST(FeatureCacheStore, ChecksTheBudgetFromTheFirstBatch) {
  train::FeatureCache cache("training", 100, torch::kCPU);
  cache.begin_fill();
  const auto f = torch::randn({10, 8});
  cache.put(torch::arange(10), f, /*budget_bytes=*/100 * 8 * 4 - 1);
  EXPECT_TRUE(cache.off());
  EXPECT_NE(cache.reason().find("need 3.1 KiB (100 x 8 Float)"), std::string::npos)
      << cache.reason();
  cache.end_fill(nullptr, false);
  EXPECT_FALSE(cache.ready());

  train::FeatureCache fits("training", 100, torch::kCPU);
  fits.begin_fill();
  fits.put(torch::arange(10, 20), f, 100 * 8 * 4);
  fits.end_fill(nullptr, false);
  ASSERT_TRUE(fits.ready());
  EXPECT_EQ(fits.bytes(), 100 * 8 * 4);
  EXPECT_TRUE(
      torch::equal(fits.get(torch::tensor({12, 10}), torch::kCPU), torch::stack({f[2], f[0]})));
  const auto half = torch::randn({4, 8}).to(torch::kBFloat16);  // autocast's dtype is kept
  train::FeatureCache bf16("evaluation", 4, torch::kCPU);
  bf16.begin_fill();
  bf16.put(torch::arange(4), half, 1 << 20);
  bf16.end_fill(nullptr, false);
  EXPECT_EQ(bf16.dtype(), torch::kBFloat16);
  EXPECT_TRUE(torch::equal(bf16.get(torch::arange(4), torch::kCPU), half));
}

TEST_F(FeatureCacheRun, CachedFrozenEpochsTrainTheSameHeadFp32) {
  auto cached = config("cached");
  auto plain = config("plain");
  plain.frozen_cache = "off";
  const auto a = run(cached);
  const auto b = run(plain);
  ASSERT_EQ(a.epochs.size(), 3u);
  const std::vector<std::string> fill_then_cached{"stored", "cached", "cached"};
  const std::vector<std::string> computed(3, "computed");
  EXPECT_EQ(csv_column(dir_ / "cached" / "log.csv", "train_features"), fill_then_cached);
  EXPECT_EQ(csv_column(dir_ / "cached" / "log.csv", "eval_features"), fill_then_cached);
  EXPECT_EQ(csv_column(dir_ / "plain" / "log.csv", "train_features"), computed);
  for (size_t e = 0; e < 3; ++e) {  // every frozen epoch's evaluation is the same
    EXPECT_EQ(a.epochs[e].eval.top1, b.epochs[e].eval.top1) << e;
    EXPECT_EQ(a.epochs[e].eval.loss, b.epochs[e].eval.loss) << e;
    EXPECT_EQ(a.epochs[e].eval.macro_f1, b.epochs[e].eval.macro_f1) << e;
    EXPECT_NEAR(a.epochs[e].train_loss, b.epochs[e].train_loss, 1e-9) << e;
  }
  const auto wa = weights(dir_ / "cached"), wb = weights(dir_ / "plain");
  EXPECT_LE(max_relative_difference(wa, wb, "head."), 1e-6);
  EXPECT_EQ(max_relative_difference(wa, wb, "features."), 0.0);  // frozen: untouched

  const auto info = cache_info("cached");
  EXPECT_EQ(info.at("train_store").at("filled_epochs"), nlohmann::json::array({0}));
  EXPECT_EQ(info.at("train_store").at("cached_epochs"), nlohmann::json::array({1, 2}));
  EXPECT_EQ(info.at("train_store").at("dtype"), "Float");
  EXPECT_GT(info.at("train_store").at("bytes").get<int64_t>(), 0);
  // The card states what the cached epochs cost against the first.
  const std::string card = report::render_model_card(report::load_run(dir_ / "cached"),
                                                     report::load_run(dir_ / "plain"), {}, {});
  EXPECT_NE(card.find("Frozen-feature cache: epoch 1 ran the backbone and kept its pooled "
                      "features ("),
            std::string::npos)
      << card;
  EXPECT_NE(card.find("2 later frozen epochs trained the head from them at "), std::string::npos)
      << card;
}

TEST_F(FeatureCacheRun, CachedFrozenEpochsTrainTheSameHeadBf16Amp) {
  auto cached = config("cached");
  cached.amp = true;
  auto plain = cached;
  plain.out = (dir_ / "plain").string();
  plain.frozen_cache = "off";
  const auto a = run(cached);
  const auto b = run(plain);
  EXPECT_EQ(cache_info("cached").at("train_store").at("dtype"), "BFloat16");
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(a.epochs[e].eval.top1, b.epochs[e].eval.top1) << e;
    EXPECT_EQ(a.epochs[e].eval.loss, b.epochs[e].eval.loss) << e;
  }
  // The head reads the very bf16 tensors autocast produced in the uncached run: the same sums.
  EXPECT_LE(max_relative_difference(weights(dir_ / "cached"), weights(dir_ / "plain"), "head."),
            1e-6);
}

TEST_F(FeatureCacheRun, ABackboneWithDropoutIsCachedWithItsDropoutOff) {
  // MobileViTv3-XXS (transformer dropout 0.05 in the backbone), 28 px, a few batches.
  auto cached = config("vit");
  cached.model = "mobilevitv3_xxs";
  cached.epochs = 4;  // three frozen, then one full: the cache goes when the backbone trains
  cached.train_limit = 256;
  cached.eval_limit = 128;
  cached.batch_size = 32;
  auto plain = cached;
  plain.out = (dir_ / "vit-plain").string();
  plain.frozen_cache = "off";
  const auto a = run(cached);
  const auto b = run(plain);
  EXPECT_EQ(csv_column(dir_ / "vit" / "log.csv", "train_features"),
            (std::vector<std::string>{"stored", "cached", "cached", "computed"}));
  // Not bit-equal on every CPU: on some (seen on an AMD EPYC with avx512_bf16), a sample's
  // backbone output depends at the 1e-7 level on its place in the batch, and a cached epoch
  // reads features computed in another epoch's batches. Measured there: eval losses 7e-8 / 7e-8
  // / 4e-7 apart, the weights 8e-6 apart as one vector (one near-zero BatchNorm bias, which
  // AdamW moves by the sign of a tiny gradient in the full epoch, differs by 144%). The bounds
  // below are 25x and 12x those differences.
  EXPECT_EQ(a.epochs[0].eval.loss, b.epochs[0].eval.loss);  // nothing cached read yet
  for (size_t e = 1; e < 4; ++e) {
    EXPECT_NEAR(a.epochs[e].eval.loss, b.epochs[e].eval.loss, 1e-5 * b.epochs[e].eval.loss) << e;
  }
  EXPECT_LE(relative_l2_difference(weights(dir_ / "vit"), weights(dir_ / "vit-plain"), ""), 1e-4);

  // With the backbone's dropout active, auto does not cache, and says why.
  auto active = cached;
  active.out = (dir_ / "vit-dropout").string();
  active.frozen_dropout = "train";
  active.epochs = 2;
  active.unfreeze_epoch = 2;
  run(active);
  const auto info = cache_info("vit-dropout");
  EXPECT_FALSE(info.at("train").get<bool>());
  EXPECT_NE(info.at("reason").get<std::string>().find("dropout is active in the frozen backbone"),
            std::string::npos)
      << info.dump(2);
  EXPECT_EQ(csv_column(dir_ / "vit-dropout" / "log.csv", "train_features"),
            (std::vector<std::string>{"computed", "computed"}));
}

TEST_F(FeatureCacheRun, AutoRefusesForATrainingBatchNormAndForAugmentation) {
  auto bn = config("bn-train");
  bn.frozen_bn = "train";
  bn.epochs = bn.unfreeze_epoch = 2;
  run(bn);
  auto info = cache_info("bn-train");
  EXPECT_FALSE(info.at("train").get<bool>() || info.at("eval").get<bool>());
  EXPECT_NE(info.at("reason").get<std::string>().find("--frozen-bn train"), std::string::npos);
  EXPECT_EQ(csv_column(dir_ / "bn-train" / "log.csv", "eval_features"),
            (std::vector<std::string>{"computed", "computed"}));

  auto flip = config("hflip");
  flip.hflip = true;
  flip.epochs = flip.unfreeze_epoch = 2;
  run(flip);
  info = cache_info("hflip");
  EXPECT_FALSE(info.at("train").get<bool>());
  EXPECT_NE(info.at("reason").get<std::string>().find("random augmentation (hflip)"),
            std::string::npos);
  EXPECT_EQ(csv_column(dir_ / "hflip" / "log.csv", "train_features"),
            (std::vector<std::string>{"computed", "computed"}));
  EXPECT_EQ(csv_column(dir_ / "hflip" / "log.csv", "eval_features"),
            (std::vector<std::string>{"stored", "cached"}));

  // on: caches, with the flips off for the frozen epochs (as a run without them).
  auto on = flip;
  on.out = (dir_ / "hflip-on").string();
  on.frozen_cache = "on";
  auto none = config("no-flip");
  none.epochs = none.unfreeze_epoch = 2;
  const auto a = run(on);
  const auto b = run(none);
  info = cache_info("hflip-on");
  EXPECT_TRUE(info.at("augmentation_off").get<bool>());
  EXPECT_EQ(info.at("reason"), "random augmentation (hflip) off for the frozen epochs");
  EXPECT_EQ(csv_column(dir_ / "hflip-on" / "log.csv", "train_features"),
            (std::vector<std::string>{"stored", "cached"}));
  EXPECT_EQ(a.epochs.back().eval.loss, b.epochs.back().eval.loss);
  const std::string card = report::render_model_card(report::load_run(dir_ / "hflip-on"),
                                                     report::load_run(dir_ / "hflip"), {}, {});
  EXPECT_NE(card.find("(random augmentation (hflip) off for the frozen epochs, --frozen-cache on)"),
            std::string::npos)
      << card;
}

TEST_F(FeatureCacheRun, OverTheMemoryBudgetItDoesNotCacheAndSaysSo) {
  auto c = config("budget");
  c.memory_budget = "1M";  // less than the decoded images already take
  c.epochs = c.unfreeze_epoch = 2;
  run(c);
  const auto info = cache_info("budget");
  EXPECT_TRUE(info.at("train").get<bool>());  // planned, then refused by the size check
  EXPECT_NE(
      info.at("train_store").at("off").get<std::string>().find("the training set's features need "),
      std::string::npos)
      << info.dump(2);
  EXPECT_EQ(csv_column(dir_ / "budget" / "log.csv", "train_features"),
            (std::vector<std::string>{"computed", "computed"}));
}

TEST_F(FeatureCacheRun, AResumeInTheFrozenPhaseRebuildsTheCacheAndEndsTheSame) {
  auto whole = config("whole");
  whole.epochs = 5;  // four frozen epochs, one full
  whole.unfreeze_epoch = 4;
  run(whole);
  auto cut = whole;
  cut.out = (dir_ / "cut").string();
  struct Interrupt : train::TrainerCallback {
    void on_train_begin(int64_t epoch, int64_t) override {
      if (epoch == 1) throw std::runtime_error("simulated interruption");
    }
  } interrupt;
  EXPECT_THROW(run(cut, {&interrupt}), std::runtime_error);
  train::RunOptions ro;
  ro.progress = false;
  train::resume_run(dir_ / "cut", data_, ro);
  EXPECT_EQ(csv_column(dir_ / "whole" / "log.csv", "train_features"),
            (std::vector<std::string>{"stored", "cached", "cached", "cached", "computed"}));
  // The resumed process has no cache: its first frozen epoch fills it again.
  EXPECT_EQ(csv_column(dir_ / "cut" / "log.csv", "train_features"),
            (std::vector<std::string>{"stored", "stored", "cached", "cached", "computed"}));
  EXPECT_EQ(csv_column(dir_ / "cut" / "log.csv", "eval_top1"),
            csv_column(dir_ / "whole" / "log.csv", "eval_top1"));
  EXPECT_LE(max_relative_difference(weights(dir_ / "cut"), weights(dir_ / "whole"), ""), 1e-6);
  const auto info = cache_info("cut");
  EXPECT_EQ(info.at("train_store").at("filled_epochs"), nlohmann::json::array({0, 1}));
  EXPECT_EQ(info.at("train_store").at("cached_epochs"), nlohmann::json::array({2, 3}));
}
