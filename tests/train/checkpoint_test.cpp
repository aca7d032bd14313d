// checkpoint.pt as users and tools meet it: Python's torch.load(weights_only=True) returns a
// dict keyed by parameter names (model and optimizer state), EDEN reads it back exactly, and
// checkpoints of earlier EDEN versions (TorchScript archives) still resume.
#include "eden/train/checkpoint.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../common/synthetic.h"
#include "../common/temp_dir.h"
#include "../io/python.h"
#include "eden/models/registry.h"
#include "eden/train/trainer.h"
#include "eden/util/check.h"

namespace eden::train {
namespace {

class CheckpointTest : public testing::TempDirTest {
 protected:
  static TrainConfig config(const std::string& optimizer) {
    TrainConfig c;
    c.model = "small_cnn";
    c.epochs = 1;
    c.batch_size = 32;
    c.lr = 3e-3;
    c.optimizer = optimizer;
    c.momentum = 0.9;
    c.threads = 1;
    return c;
  }
  static models::Classifier model(uint64_t seed) {
    torch::manual_seed(seed);
    return models::create_model("small_cnn", models::ModelOptions().num_classes(4).in_channels(1));
  }
  /// A trainer after one epoch on synthetic data (so the optimizer has state).
  static std::unique_ptr<Trainer> trained(const TrainConfig& cfg, models::Classifier m) {
    static const auto data = eden::testing::make_blocks_splits(128, 32);
    data::LoaderOptions lo;
    lo.batch_size = cfg.batch_size;
    static data::BatchLoader loader(data.train, lo);
    auto t = std::make_unique<Trainer>(m, cfg, torch::kCPU, loader.num_batches());
    t->train_epoch(0, loader);
    return t;
  }
};

TEST_F(CheckpointTest, ReadsBackModelOptimizerAndCounters) {
  for (const std::string opt : {"adamw", "sgd"}) {
    const auto cfg = config(opt);
    auto a_model = model(1);
    auto a = trained(cfg, a_model);
    const auto path = (dir_ / (opt + ".pt")).string();
    a->save_checkpoint(path, 0);
    auto b_model = model(2);  // other weights until the load
    Trainer b(b_model, cfg, torch::kCPU, 4);
    EXPECT_EQ(b.load_checkpoint(path), 0);
    EXPECT_EQ(b.global_update(), a->global_update());
    for (const auto& p : a_model->named_parameters()) {
      EXPECT_TRUE(torch::equal(p.value(), b_model->named_parameters()[p.key()])) << p.key();
    }
    const auto saved = optimizer_to_pickle(a->optimizer(), *a_model);
    const auto loaded = optimizer_to_pickle(b.optimizer(), *b_model);
    const auto& sa = saved.at("state", io::PickleValue::Kind::kDict, opt);
    const auto& sb = loaded.at("state", io::PickleValue::Kind::kDict, opt);
    ASSERT_EQ(sa.dict.size(), sb.dict.size()) << opt;
    ASSERT_FALSE(sa.dict.empty());
    for (size_t k = 0; k < sa.dict.size(); ++k) {
      EXPECT_EQ(sa.dict[k].first, sb.dict[k].first);
      for (const auto& [field, v] : sa.dict[k].second.dict) {
        const auto* w = sb.dict[k].second.find(field);
        ASSERT_NE(w, nullptr) << field;
        if (v.kind == io::PickleValue::Kind::kTensor) {
          EXPECT_TRUE(torch::equal(v.tensor, w->tensor)) << opt << " " << field;
        } else {
          EXPECT_EQ(v.i, w->i) << field;
        }
      }
    }
  }
}

TEST_F(CheckpointTest, PythonLoadsItWithWeightsOnlyAsADictByName) {
  if (!eden::testing::python_has("torch")) GTEST_SKIP() << "no torch in /usr/bin/python3";
  const auto cfg = config("adamw");
  auto m = model(1);
  auto t = trained(cfg, m);
  const auto path = (dir_ / "checkpoint.pt").string();
  t->save_checkpoint(path, 3);
  const auto r = eden::testing::run_python(eden::testing::test_script("io/describe_torch_save.py") +
                                           " " + path);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  ASSERT_EQ(j["top"], "dict");
  const auto& ck = j["value"];
  EXPECT_EQ(ck["format"], kCheckpointFormat);
  EXPECT_EQ(ck["epoch"], 3);
  EXPECT_EQ(ck["update"], t->global_update());
  EXPECT_EQ(ck["eden_version"], EDEN_VERSION);
  for (const auto& p : m->named_parameters()) {
    ASSERT_TRUE(ck["model"].contains(p.key())) << p.key();
    EXPECT_NEAR(ck["model"][p.key()]["sum"].get<double>(), p.value().sum().item<double>(),
                1e-4 * (1.0 + p.value().abs().sum().item<double>()));
    // Optimizer state under the same names, not memory addresses.
    ASSERT_TRUE(ck["optimizer"]["state"].contains(p.key())) << p.key();
    EXPECT_EQ(ck["optimizer"]["state"][p.key()]["step"], t->global_update());
  }
  EXPECT_EQ(ck["optimizer"]["type"], "adamw");
  EXPECT_EQ(ck["optimizer"]["param_groups"][0]["lr"]["dtype"], "torch.float64");
}

TEST_F(CheckpointTest, AnEarlierEdensTorchScriptCheckpointStillResumes) {
  const auto cfg = config("adamw");
  auto a_model = model(1);
  auto a = trained(cfg, a_model);
  // What save_checkpoint wrote before the torch.save format.
  torch::serialize::OutputArchive archive, model_archive, optim_archive;
  a_model->save(model_archive);
  archive.write("model", model_archive);
  a->optimizer().save(optim_archive);
  archive.write("optimizer", optim_archive);
  archive.write("epoch", torch::tensor(int64_t{0}, torch::kLong));
  archive.write("update", torch::tensor(a->global_update(), torch::kLong));
  archive.write("skipped", torch::tensor(int64_t{0}, torch::kLong));
  const auto path = (dir_ / "old.pt").string();
  archive.save_to(path);
  auto b_model = model(2);
  Trainer b(b_model, cfg, torch::kCPU, 4);
  EXPECT_EQ(b.load_checkpoint(path), 0);
  EXPECT_EQ(b.global_update(), a->global_update());
  for (const auto& p : a_model->named_parameters()) {
    EXPECT_TRUE(torch::equal(p.value(), b_model->named_parameters()[p.key()])) << p.key();
  }
}

TEST_F(CheckpointTest, ForeignFilesAreRefusedByName) {
  const auto path = (dir_ / "other.pt").string();
  io::write_torch_save(
      path, io::PickleValue::dict_of({{"weights", io::PickleValue::of(torch::zeros({2}))}}));
  auto m = model(1);
  Trainer t(m, config("adamw"), torch::kCPU, 4);
  try {
    t.load_checkpoint(path);
    FAIL() << "loaded a file that is not an EDEN checkpoint";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("is not an EDEN checkpoint"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace eden::train
