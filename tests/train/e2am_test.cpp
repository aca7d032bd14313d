// Each E2AM technique is checked for its effect: frozen weights stay bit-identical, accumulation
// reproduces the large-batch gradient, the L1 term covers exactly the right tensors, bf16
// autocast gives bf16 activations over fp32 weights, and a resumed run equals an uninterrupted one.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>

#include "../common/synthetic.h"
#include "eden/io/pretrained.h"
#include "eden/models/blocks/conv_norm_act.h"
#include "eden/models/registry.h"
#include "eden/train/freeze.h"
#include "eden/train/l1.h"
#include "eden/train/run.h"
#include "eden/train/trainer.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"
#include "eden/util/torch_compat.h"

namespace fs = std::filesystem;
using namespace eden;

namespace {

train::TrainConfig tiny_config() {
  train::TrainConfig c;
  c.model = "small_cnn";
  c.epochs = 3;
  c.batch_size = 32;
  c.lr = 3e-3;
  c.device = "cpu";
  c.threads = 1;
  return c;
}

models::Classifier tiny_model(int64_t classes = 4, uint64_t seed = 0) {
  torch::manual_seed(seed);
  return models::create_model("small_cnn",
                              models::ModelOptions().num_classes(classes).in_channels(1));
}

std::map<std::string, torch::Tensor> snapshot(torch::nn::Module& m) {
  std::map<std::string, torch::Tensor> out;
  for (const auto& p : m.named_parameters()) out[p.key()] = p.value().detach().clone();
  return out;
}

fs::path temp_dir(const std::string& tag) {
  auto d = fs::temp_directory_path() / ("eden_" + tag + "_" + std::to_string(::getpid()));
  fs::remove_all(d);
  return d;
}

/// Records the model's parameters at the end of every epoch.
class Snapshotter : public train::TrainerCallback {
 public:
  explicit Snapshotter(models::ClassifierImpl* m) : model_(m) {}
  void on_epoch_end(const train::EpochStats& s) override {
    snaps.push_back(snapshot(*model_));
    stats.push_back(s);
  }
  std::vector<std::map<std::string, torch::Tensor>> snaps;
  std::vector<train::EpochStats> stats;

 private:
  models::ClassifierImpl* model_;
};

}  // namespace

TEST(ProgressiveUnfreezing, BackboneBitIdenticalWhileFrozenThenTrains) {
  auto data = eden::testing::make_blocks_splits();
  auto cfg = tiny_config();
  cfg.epochs = 4;
  cfg.unfreeze_epoch = 2;
  cfg.optimizer = "adamw";  // decoupled weight decay would move any weight it sees
  auto model = tiny_model();
  const auto initial = snapshot(*model);
  data::LoaderOptions lo;
  lo.batch_size = cfg.batch_size;
  data::BatchLoader train(data.train, lo), eval(data.test, lo);
  train::Trainer trainer(model, cfg, torch::kCPU, train.num_batches());
  Snapshotter snap(model.get());
  trainer.fit(train, eval, 0, {&snap});
  ASSERT_EQ(snap.snaps.size(), 4u);
  for (const auto& [name, before] : initial) {
    const bool head = model->is_head(name);
    for (int e = 0; e < 2; ++e) {
      const bool same = snap.snaps[e].at(name).equal(before);
      if (head) {
        EXPECT_FALSE(same) << name << " (head) did not train in frozen epoch " << e;
      } else {
        EXPECT_TRUE(same) << name << " moved while frozen in epoch " << e;
      }
    }
    EXPECT_FALSE(snap.snaps[3].at(name).equal(before)) << name << " never trained";
  }
  EXPECT_EQ(snap.stats[0].phase, train::Phase::kFrozen);
  EXPECT_EQ(snap.stats[1].phase, train::Phase::kFrozen);
  EXPECT_EQ(snap.stats[2].phase, train::Phase::kFull);
}

TEST(ProgressiveUnfreezing, FrozenBackboneBuildsNoAutogradGraph) {
  auto cfg = tiny_config();
  cfg.unfreeze_epoch = 1;
  auto model = tiny_model();
  train::Trainer trainer(model, cfg, torch::kCPU, 1);
  trainer.begin_epoch(0);
  auto x = torch::randn({4, 1, 16, 16});
  auto logits = trainer.forward(x);
  for (const auto& p : model->named_parameters()) {
    if (model->is_head(p.key())) continue;
    EXPECT_FALSE(p.value().requires_grad()) << p.key();
  }
  // The graph reaches the head only: gradients w.r.t. the input do not exist.
  auto xr = x.clone().requires_grad_(true);
  auto out = trainer.forward(xr);
  EXPECT_FALSE(out.grad_fn()->next_edges().empty());
  auto grads = torch::autograd::grad({out.sum()}, {xr}, {}, false, false, /*allow_unused=*/true);
  EXPECT_FALSE(grads[0].defined());
  trainer.begin_epoch(1);
  auto out_full = trainer.forward(xr);
  auto g = torch::autograd::grad({out_full.sum()}, {xr}, {}, false, false, true);
  EXPECT_TRUE(g[0].defined());
}

TEST(ProgressiveUnfreezing, FrozenBatchNormKeepsRunningStatsInEvalPolicy) {
  auto cfg = tiny_config();
  cfg.unfreeze_epoch = 1;
  auto model = tiny_model();
  train::Trainer trainer(model, cfg, torch::kCPU, 1);
  trainer.begin_epoch(0);
  const auto before = model->named_buffers()["features.0.bn.running_mean"].clone();
  trainer.forward(torch::randn({8, 1, 16, 16}) * 3 + 1);
  EXPECT_TRUE(model->named_buffers()["features.0.bn.running_mean"].equal(before));
  cfg.frozen_bn = "train";
  train::Trainer trainer2(model, cfg, torch::kCPU, 1);
  trainer2.begin_epoch(0);
  trainer2.forward(torch::randn({8, 1, 16, 16}) * 3 + 1);
  EXPECT_FALSE(model->named_buffers()["features.0.bn.running_mean"].equal(before));
}

TEST(ProgressiveUnfreezing, LearningRateDropsByTheDecayAtTheSwitch) {
  auto data = eden::testing::make_blocks_splits(128, 32);
  auto cfg = tiny_config();
  cfg.epochs = 3;
  cfg.unfreeze_epoch = 1;
  cfg.unfreeze_lr_decay = 0.1;
  cfg.schedule = "constant";
  cfg.out = temp_dir("lrdrop").string();
  train::RunOptions ro;
  ro.progress = false;
  auto s = train::train_run(cfg, data, ro);
  ASSERT_EQ(s.epochs.size(), 3u);
  EXPECT_DOUBLE_EQ(s.epochs[0].lr, 3e-3);
  EXPECT_DOUBLE_EQ(s.epochs[1].lr, 3e-4);
  EXPECT_EQ(s.epochs[0].phase, train::Phase::kFrozen);
  EXPECT_EQ(s.epochs[1].phase, train::Phase::kFull);
  fs::remove_all(cfg.out);
}

TEST(GradientAccumulation, FourMicroBatchesEqualOneBatchFourTimesLarger) {
  auto ds = eden::testing::make_blocks_dataset(32);
  data::LoaderOptions lo;
  lo.shuffle = false;
  lo.batch_size = 32;
  data::BatchLoader big(ds, lo);
  lo.batch_size = 8;
  data::BatchLoader small(ds, lo);

  auto cfg = tiny_config();
  auto run = [&](data::BatchLoader& loader, int64_t accum) {
    auto model = tiny_model();
    cfg.accum = accum;
    train::Trainer t(model, cfg, torch::kCPU, 1);
    t.begin_epoch(0);
    model->eval();  // no dropout, and BN uses running stats: the loss is per-sample separable
    for (int64_t b = 0; b < loader.num_batches(); ++b) t.micro_step(loader.batch(b), accum);
    std::map<std::string, torch::Tensor> grads;
    for (const auto& p : model->named_parameters()) grads[p.key()] = p.value().grad().clone();
    return grads;
  };
  const auto g1 = run(big, 1);
  const auto g4 = run(small, 4);
  for (const auto& [name, g] : g1) {
    EXPECT_TRUE(torch::allclose(g4.at(name), g, 1e-4, 1e-6)) << name;
  }
}

TEST(GradientAccumulation, ShortLastWindowStillSteps) {
  auto data = eden::testing::make_blocks_splits(160, 32);  // 5 batches of 32
  auto cfg = tiny_config();
  cfg.epochs = 1;
  cfg.accum = 2;
  auto model = tiny_model();
  data::LoaderOptions lo;
  lo.batch_size = 32;
  data::BatchLoader train(data.train, lo);
  train::Trainer t(model, cfg, torch::kCPU, 3);
  auto s = t.train_epoch(0, train);
  EXPECT_EQ(s.updates, 3);  // windows {0,1}, {2,3}, {4}
  EXPECT_EQ(s.effective_batch, 64);
  EXPECT_EQ(t.global_update(), 3);
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());
}

TEST(L1Regularisation, TermEqualsLambdaTimesSumOverTrainableWeightsOnly) {
  auto cfg = tiny_config();
  cfg.l1 = 1e-3;
  cfg.unfreeze_epoch = 1;
  auto model = tiny_model();
  train::Trainer t(model, cfg, torch::kCPU, 1);
  auto ds = eden::testing::make_blocks_dataset(8);
  data::LoaderOptions lo;
  lo.batch_size = 8;
  data::BatchLoader loader(ds, lo);
  auto expected = [&](bool frozen) {
    double sum = 0;
    for (const auto& p : model->named_parameters()) {
      if (p.value().dim() < 2) continue;                 // biases, BN weights: excluded
      if (frozen && !model->is_head(p.key())) continue;  // frozen: not trainable
      sum += p.value().abs().sum().item<double>();
    }
    return cfg.l1 * sum;
  };
  t.begin_epoch(0);
  auto frozen = t.micro_step(loader.batch(0), 1);
  EXPECT_NEAR(frozen.l1.item<double>(), expected(true), 1e-6 * expected(true));
  t.begin_epoch(1);
  auto full = t.micro_step(loader.batch(0), 1);
  EXPECT_NEAR(full.l1.item<double>(), expected(false), 1e-6 * expected(false));
  EXPECT_GT(expected(false), 5 * expected(true));
  // The penalty's gradient reaches the weights: sign(W) * lambda on top of the data gradient,
  // exactly what autograd gives for lambda * sum |W| * scale (contiguous and channels-last,
  // with zeros, with and without an existing gradient).
  auto w = model->named_parameters()["head.weight"];
  for (const bool channels_last : {false, true}) {
    auto ref = torch::randn({6, 3, 2, 2});
    ref.index_put_({0}, 0.0);
    if (channels_last) ref = ref.contiguous(torch::MemoryFormat::ChannelsLast);
    ref.requires_grad_();
    auto ours = ref.detach().clone().requires_grad_();
    (0.5 * 0.25 * ref.abs().sum()).backward();
    const auto value = train::add_l1_gradient({ours}, 0.5, 0.25);
    EXPECT_TRUE(ours.grad().equal(ref.grad())) << channels_last;
    EXPECT_NEAR(value.item<double>(), 0.5 * ref.detach().abs().sum().item<double>(), 1e-5);
    const auto before = ours.grad().clone();
    train::add_l1_gradient({ours}, 0.5, 1.0);  // accumulates into the defined gradient
    EXPECT_TRUE(ours.grad().allclose(before + 0.5 * ref.detach().sign()));
  }
  EXPECT_EQ(train::add_l1_gradient({w}, 0.0, 1.0).item<double>(), 0.0);
}

TEST(Amp, Bf16AutocastGivesBf16ActivationsAndFp32Weights) {
  auto cfg = tiny_config();
  cfg.amp = true;
  auto model = tiny_model();
  train::Trainer t(model, cfg, torch::kCPU, 1);
  t.begin_epoch(0);
  auto logits = t.forward(torch::randn({4, 1, 16, 16}));
  EXPECT_EQ(logits.scalar_type(), torch::kBFloat16);
  auto ds = eden::testing::make_blocks_dataset(8);
  data::LoaderOptions lo;
  lo.batch_size = 8;
  data::BatchLoader loader(ds, lo);
  auto step = t.micro_step(loader.batch(0), 1);
  EXPECT_TRUE(std::isfinite(step.loss.item<double>()));
  for (const auto& p : model->parameters()) {
    EXPECT_EQ(p.scalar_type(), torch::kFloat);
    ASSERT_TRUE(p.grad().defined());
    EXPECT_EQ(p.grad().scalar_type(), torch::kFloat);
  }
  // Outside the trainer's region autocast is off again.
  EXPECT_EQ(model->forward(torch::randn({2, 1, 16, 16})).scalar_type(), torch::kFloat);
  EXPECT_EQ(t.loss_scaler(), nullptr);  // bf16 needs no loss scaling
}

TEST(Resume, InterruptedRunEndsWithTheSameWeightsAsAnUninterruptedOne) {
  auto data = eden::testing::make_blocks_splits(160, 32);
  auto cfg = tiny_config();
  cfg.epochs = 3;
  cfg.unfreeze_epoch = 1;
  cfg.accum = 2;
  cfg.l1 = 1e-5;
  cfg.amp = true;
  cfg.crop_padding = 2;
  cfg.hflip = true;
  train::RunOptions ro;
  ro.progress = false;

  cfg.out = temp_dir("resume_full").string();
  train::train_run(cfg, data, ro);

  struct Interrupt : train::TrainerCallback {
    void on_train_begin(int64_t epoch, int64_t) override {
      if (epoch == 2) throw std::runtime_error("simulated interruption");
    }
  } interrupt;
  const auto full_dir = cfg.out;
  cfg.out = temp_dir("resume_cut").string();
  train::RunOptions cut = ro;
  cut.callbacks = {&interrupt};
  EXPECT_THROW(train::train_run(cfg, data, cut), std::runtime_error);
  const auto resumed = train::resume_run(cfg.out, data, ro);
  ASSERT_EQ(resumed.epochs.size(), 1u);
  EXPECT_EQ(resumed.epochs[0].epoch, 2);

  auto load = [&](const std::string& dir) {
    auto m = tiny_model(4, 99);
    train::Trainer t(m, cfg, torch::kCPU, 1);
    t.load_checkpoint((fs::path(dir) / "checkpoint.pt").string());
    return snapshot(*m);
  };
  const auto a = load(full_dir), b = load(cfg.out);
  for (const auto& [name, w] : a) EXPECT_TRUE(w.equal(b.at(name))) << name;
  // The log has each epoch exactly once.
  std::ifstream log(fs::path(cfg.out) / "log.csv");
  int lines = 0;
  for (std::string l; std::getline(log, l);) ++lines;
  EXPECT_EQ(lines, 4);
  fs::remove_all(full_dir);
  fs::remove_all(cfg.out);
}

TEST(Run, RefusesToOverwriteAnExistingRun) {
  auto data = eden::testing::make_blocks_splits(64, 32);
  auto cfg = tiny_config();
  cfg.epochs = 1;
  cfg.out = temp_dir("overwrite").string();
  train::RunOptions ro;
  ro.progress = false;
  train::train_run(cfg, data, ro);
  EXPECT_THROW(train::train_run(cfg, data, ro), eden::Error);
  fs::remove_all(cfg.out);
}

namespace {
/// A model whose backbone uses LibTorch's own ReLU6 (hardtanh), which has no bf16 backward
/// kernel on CPU in LibTorch 1.13.
class Relu6NetImpl : public models::ClassifierImpl {
 public:
  Relu6NetImpl() {
    conv = register_module("conv", torch::nn::Conv2d(1, 4, 3));
    fc = register_module("fc", torch::nn::Linear(4, 2));
  }
  torch::Tensor forward_features(torch::Tensor x) override {
    return torch::nn::functional::relu6(conv->forward(x)).mean({2, 3});
  }
  torch::Tensor forward_head(torch::Tensor f) override { return fc->forward(f); }
  std::vector<std::string> head_modules() const override { return {"fc"}; }
  torch::nn::Conv2d conv{nullptr};
  torch::nn::Linear fc{nullptr};
};
}  // namespace

TEST(Amp, MissingBf16KernelIsRefusedAtStartWithAClearMessage) {
  auto cfg = tiny_config();
  cfg.amp = true;
  cfg.model = "relu6net";
  auto model = std::make_shared<Relu6NetImpl>();
  train::Trainer t(model, cfg, torch::kCPU, 1);
  const auto x = torch::randn({2, 1, 8, 8});
  bool hardtanh_bf16_backward = true;
  try {
    auto a = torch::randn({4}).to(torch::kBFloat16).requires_grad_(true);
    torch::nn::functional::relu6(a).sum().backward();
  } catch (const c10::Error&) {
    hardtanh_bf16_backward = false;
  }
  if (hardtanh_bf16_backward) {
    EXPECT_NO_THROW(t.check_amp_supported(x));  // newer LibTorch: nothing to refuse
  } else {
    try {
      t.check_amp_supported(x);
      FAIL() << "expected a refusal";
    } catch (const eden::Error& e) {
      EXPECT_NE(std::string(e.what()).find("[amp] model 'relu6net'"), std::string::npos);
      EXPECT_NE(std::string(e.what()).find("without --amp"), std::string::npos);
    }
  }
  for (const auto& p : model->parameters()) EXPECT_FALSE(p.grad().defined());
}

// clamp's gradient is 1 on [0, 6] inclusive (PyTorch's clamp_backward), evaluated at the bf16
// value: an fp32 x of 1.5028 is 1.5 in bf16, so 4x sits exactly on 6 and passes the gradient.
// Seeded: LibTorch 2.x seeds its default generator non-deterministically.
TEST(Amp, EdenReLU6TrainsUnderBf16) {
  torch::manual_seed(7);
  auto x = torch::cat({torch::randn({64}), torch::tensor({0.0F, 1.5F, 1.5028F, -1e-3F})})
               .requires_grad_();
  torch::Tensor y;
  {
    AutocastGuard g(torch::kCPU, true);
    y = models::apply_activation(x.to(torch::kBFloat16) * 4, models::Activation::kReLU6);
  }
  EXPECT_EQ(y.scalar_type(), torch::kBFloat16);
  y.to(torch::kFloat).sum().backward();
  const auto v = (x.detach().to(torch::kBFloat16) * 4).to(torch::kFloat);
  // torchvision's ReLU6 (hardtanh): gradient 1 strictly inside (0, 6), 0 on the boundaries.
  const auto expected = (v > 0).logical_and(v < 6).to(torch::kFloat) * 4;
  const auto bad = (x.grad() != expected).nonzero().flatten();
  EXPECT_EQ(bad.numel(), 0) << "at " << bad << "x " << x.detach().index({bad}) << "grad "
                            << x.grad().index({bad});
}

TEST(Pretrained, BackboneComesFromTheUpstreamRunAndTheHeadStaysFresh) {
  auto data = eden::testing::make_blocks_splits(64, 32);
  auto cfg = tiny_config();
  cfg.epochs = 1;
  train::RunOptions ro;
  ro.progress = false;
  cfg.out = temp_dir("upstream").string();
  train::train_run(cfg, data, ro);
  const auto upstream_file = (fs::path(cfg.out) / "model.safetensors").string();
  const auto upstream = io::read_weights(upstream_file);

  // Downstream: frozen for its only epoch, so its backbone must still be the upstream one.
  auto down = cfg;
  down.out = temp_dir("downstream").string();
  down.pretrained = upstream_file;
  down.pretrained_head = false;
  down.unfreeze_epoch = 1;
  down.seed = 5;
  train::train_run(down, data, ro);
  const auto after = io::read_weights((fs::path(down.out) / "model.safetensors").string());
  auto model = tiny_model();
  for (const auto& item : upstream) {
    ASSERT_NE(after.find(item.key()), nullptr) << item.key();
    if (model->is_head(item.key())) {
      EXPECT_FALSE(after[item.key()].equal(item.value())) << item.key();
    } else {
      EXPECT_TRUE(after[item.key()].equal(item.value())) << item.key();
    }
  }
  const auto info = nlohmann::json::parse(read_file(fs::path(down.out) / "run.json"));
  EXPECT_EQ(info.at("pretrained").at("reinitialized"),
            nlohmann::json::array({"head.weight", "head.bias"}));
  fs::remove_all(cfg.out);
  fs::remove_all(down.out);
}
