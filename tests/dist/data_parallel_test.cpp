// Data parallelism end to end on the trainer: two ranks (threads of this process over loopback
// Gloo) train to the same weights as one process with twice the batch, step only at accumulation
// boundaries, and sum evaluation exactly. The model has no BatchNorm and no dropout: those are
// per-rank by design (local statistics, as DDP), so only a model without them can match.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <future>
#include <memory>
#include <mutex>

#include "../common/loopback.h"
#include "../common/synthetic.h"
#include "eden/data/batch_loader.h"
#include "eden/dist/process_group.h"
#include "eden/train/feature_cache.h"
#include "eden/train/trainer.h"

namespace eden::dist {
namespace {

#if EDEN_HAVE_GLOO

struct TinyMlpImpl : models::ClassifierImpl {
  TinyMlpImpl() {
    body = register_module("body", torch::nn::Linear(16 * 16, 32));
    fc = register_module("fc", torch::nn::Linear(32, 4));
  }
  torch::Tensor forward_features(torch::Tensor x) override {
    return torch::relu(body->forward(x.flatten(1)));
  }
  torch::Tensor forward_head(torch::Tensor f) override { return fc->forward(f); }
  std::vector<std::string> head_modules() const override { return {"fc"}; }
  torch::nn::Linear body{nullptr}, fc{nullptr};
};

struct Result {
  std::vector<torch::Tensor> params;
  std::vector<train::EpochStats> epochs;
  int64_t syncs = 0, updates = 0, buckets = 0, overlapped = 0;
  int64_t allreduces_in_train = 0;
};

train::TrainConfig config(int64_t batch, int64_t accum) {
  train::TrainConfig c;
  c.model = "tiny_mlp";
  c.batch_size = batch;
  c.accum = accum;
  c.lr = 5e-3;
  c.epochs = 2;
  c.schedule = "constant";
  c.l1 = 1e-4;
  c.channels_last = false;
  return c;
}

/// The frozen-phase variants: none (every epoch full), three frozen epochs computing the
/// backbone, three frozen epochs with the feature cache.
enum class Frozen { kNone, kComputed, kCached };

/// Trains `epochs` epochs as rank `rank` of `world` (world 1: no group) and evaluates.
Result train_rank(int rank, int world, uint16_t port, int64_t batch, int64_t accum, bool overlap,
                  const data::DataSplits& data, Frozen frozen = Frozen::kNone) {
  std::unique_ptr<ProcessGroup> group;
  if (world > 1) {
    group = ProcessGroup::join(testing::loopback_env(rank, world, port),
                               std::chrono::milliseconds(30000));
  }
  // The same initial weights everywhere. The ranks are threads sharing torch's global generator:
  // seeding and drawing must not interleave, or rank 0's (broadcast) weights differ from the single
  // process's and the comparison fails by chance (it did on CI).
  std::shared_ptr<TinyMlpImpl> model;
  {
    static std::mutex init_mutex;
    const std::lock_guard<std::mutex> lock(init_mutex);
    torch::manual_seed(0);
    model = std::make_shared<TinyMlpImpl>();
  }
  auto cfg = config(batch, accum);
  if (frozen != Frozen::kNone) cfg.epochs = cfg.unfreeze_epoch = 3;
  data::LoaderOptions lo;
  lo.batch_size = batch;
  lo.seed = 3;
  lo.shard_rank = rank;
  lo.shard_count = world;
  data::BatchLoader train_loader(data.train, lo);
  data::LoaderOptions eo = lo;
  eo.shuffle = false;
  data::BatchLoader eval_loader(data.test, eo);
  const int64_t updates = (train_loader.num_batches() + accum - 1) / accum;
  train::Trainer trainer(model, cfg, torch::kCPU, updates);
  GradSyncOptions so;
  so.overlap = overlap;
  so.bucket_bytes = 256;  // two buckets even for this model (head, body)
  if (group) trainer.set_group(group.get(), so);
  if (frozen == Frozen::kCached) {
    trainer.set_feature_cache(train::plan_feature_cache(cfg, *model, ""), data.train.size(),
                              data.test.size(), torch::kCPU, int64_t{1} << 30);
  }
  Result r;
  for (int64_t e = 0; e < cfg.epochs; ++e) {
    const int64_t before = group ? group->allreduce_count() : 0;
    auto stats = trainer.train_epoch(e, train_loader);
    r.allreduces_in_train += group ? group->allreduce_count() - before : 0;
    stats.eval = trainer.evaluate(eval_loader);
    stats.eval_features = trainer.last_eval_features();
    r.updates += stats.updates;
    r.epochs.push_back(stats);
  }
  for (const auto& p : model->parameters()) r.params.push_back(p.detach().clone());
  if (const auto* gs = trainer.grad_sync()) {
    r.syncs = gs->syncs();
    r.buckets = gs->bucket_count();
    r.overlapped = gs->overlapped();
  }
  return r;
}

std::pair<Result, Result> two_ranks(int64_t batch, int64_t accum, bool overlap,
                                    const data::DataSplits& data, Frozen frozen = Frozen::kNone) {
  const uint16_t port = testing::free_port();
  auto other = std::async(std::launch::async, train_rank, 1, 2, port, batch, accum, overlap,
                          std::cref(data), frozen);
  Result r0 = train_rank(0, 2, port, batch, accum, overlap, data, frozen);
  return {std::move(r0), other.get()};
}

void expect_same_params(const Result& a, const Result& b, double tol, const char* what) {
  ASSERT_EQ(a.params.size(), b.params.size());
  for (size_t i = 0; i < a.params.size(); ++i) {
    const double d = (a.params[i] - b.params[i]).abs().max().item<double>();
    EXPECT_LE(d, tol) << what << ": parameter " << i << " differs by " << d;
  }
}

TEST(DataParallel, TwoRanksMatchOneProcessWithTwiceTheBatch) {
  // 241 samples: the last global batch (49) splits 24 / 25, so the loss weighting matters.
  const auto data = testing::make_blocks_splits(241, 70);
  const auto single = train_rank(0, 1, 0, 32, 2, true, data);
  const auto [r0, r1] = two_ranks(16, 2, true, data);
  expect_same_params(r0, r1, 0.0, "rank 0 vs rank 1 (must be identical)");
  expect_same_params(r0, single, 2e-5, "two ranks vs one process");
  for (size_t e = 0; e < single.epochs.size(); ++e) {
    EXPECT_NEAR(r0.epochs[e].train_loss, single.epochs[e].train_loss, 1e-5) << "epoch " << e;
    EXPECT_EQ(r0.epochs[e].train_images, 241);
    // Evaluation over the two shards: every image once, the confusion matrix summed.
    EXPECT_EQ(r0.epochs[e].eval.samples, 70);
    EXPECT_TRUE(
        torch::equal(r0.epochs[e].eval.confusion.cpu(), single.epochs[e].eval.confusion.cpu()));
    EXPECT_NEAR(r0.epochs[e].eval.loss, single.epochs[e].eval.loss, 1e-5);
  }
  EXPECT_GT(r0.overlapped, 0) << "no bucket started from a gradient hook";
}

TEST(DataParallel, GradientsAreReducedOncePerOptimizerStep) {
  const auto data = testing::make_blocks_splits(256, 32);
  for (const bool overlap : {true, false}) {
    const auto [r0, r1] = two_ranks(16, 4, overlap, data);
    // 256 / (16 x 2) = 8 micro-batches per epoch, accumulation 4: 2 steps per epoch, 4 in all.
    EXPECT_EQ(r0.updates, 4);
    EXPECT_EQ(r0.syncs, r0.updates) << "overlap " << overlap;
    EXPECT_GE(r0.buckets, 2);
    // In training: one allreduce per bucket per step, plus one for the epoch's statistics.
    EXPECT_EQ(r0.allreduces_in_train, r0.updates * r0.buckets + 2) << "overlap " << overlap;
    expect_same_params(r0, r1, 0.0, "rank 0 vs rank 1");
  }
}

TEST(DataParallel, EachRankCachesItsShardAndTheHeadTrainsAsWithoutTheCache) {
  // Each rank stores the features of the rows it trained on in the filling epoch; the ranks then
  // exchange them, because the next epoch's permutation deals other rows to each rank.
  const auto data = testing::make_blocks_splits(241, 70);
  const auto [c0, c1] = two_ranks(16, 2, true, data, Frozen::kCached);
  const auto [p0, p1] = two_ranks(16, 2, true, data, Frozen::kComputed);
  const std::vector<std::string> expected{"stored", "cached", "cached"};
  for (size_t e = 0; e < 3; ++e) {
    EXPECT_EQ(c0.epochs[e].train_features, expected[e]) << e;
    EXPECT_EQ(c1.epochs[e].train_features, expected[e]) << e;
    EXPECT_EQ(c0.epochs[e].eval_features, expected[e]) << e;
    EXPECT_EQ(p0.epochs[e].train_features, "computed") << e;
    EXPECT_NEAR(c0.epochs[e].train_loss, p0.epochs[e].train_loss, 1e-6) << e;
    EXPECT_TRUE(torch::equal(c0.epochs[e].eval.confusion.cpu(), p0.epochs[e].eval.confusion.cpu()));
  }
  expect_same_params(c0, c1, 0.0, "rank 0 vs rank 1 (must be identical)");
  expect_same_params(c0, p0, 1e-6, "cached vs computed");
}

#endif

}  // namespace
}  // namespace eden::dist
