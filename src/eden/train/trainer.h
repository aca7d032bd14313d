// The E2AM trainer: progressive unfreezing, gradient accumulation, mixed precision and L1
// regularisation around one optimizer. The loop does no I/O: logging, progress, checkpoints and
// energy windows are callbacks.
#pragma once

#include <torch/torch.h>

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "eden/data/batch_loader.h"
#include "eden/dist/grad_sync.h"
#include "eden/dist/process_group.h"
#include "eden/eval/metrics.h"
#include "eden/models/classifier.h"
#include "eden/train/config.h"
#include "eden/train/feature_cache.h"
#include "eden/train/loss_scaler.h"
#include "eden/train/lr_schedule.h"
#include "eden/train/phase.h"

namespace eden::train {

/// What one epoch did (one row of log.csv).
struct EpochStats {
  int64_t epoch = 0;
  Phase phase = Phase::kFull;
  double lr = 0.0;          // at the epoch's first optimizer step
  double train_loss = 0.0;  // mean cross-entropy (without the L1 term)
  double train_l1 = 0.0;    // mean L1 term, lambda * sum |W|
  double sparsity = 0.0;    // fraction of weights with |w| < 1e-3 at epoch end
  eval::EvalResult eval;
  double train_time_s = 0.0;
  double eval_time_s = 0.0;
  int64_t train_images = 0;
  int64_t updates = 0;        // optimizer steps taken this epoch (skipped ones included)
  int64_t skipped_steps = 0;  // steps skipped by the fp16 loss scaler
  double loss_scale = 1.0;    // loss scale at epoch end (1 without fp16)
  int64_t effective_batch = 0;
  /// Where the backbone's features came from (log.csv): "computed" (backbone run), "stored"
  /// (run and kept in the frozen-feature cache), "cached" (read from it: head only).
  std::string train_features = "computed";
  std::string eval_features = "computed";
  /// Data-parallel runs: seconds this rank's training waited for gradient allreduces (after
  /// backward, for buckets not yet done); 0 in one process.
  double comm_wait_s = 0.0;
};

/// Hooks the trainer calls; the defaults do nothing.
class TrainerCallback {
 public:
  virtual ~TrainerCallback() = default;
  virtual void on_train_begin(int64_t /*epoch*/, int64_t /*num_batches*/) {}
  virtual void on_batch_end(int64_t /*batch*/, int64_t /*num_batches*/, int64_t /*images*/) {}
  virtual void on_train_end(int64_t /*epoch*/) {}
  virtual void on_eval_begin(int64_t /*epoch*/) {}
  virtual void on_eval_end(int64_t /*epoch*/) {}
  /// After train and eval; stats are final. Checkpointing happens here.
  virtual void on_epoch_end(const EpochStats& /*stats*/) {}
  /// A stop was requested (SIGINT/SIGTERM): the trainer is at a step boundary of `epoch`, whose
  /// work is lost, and throws eden::Interrupted after the callbacks return.
  virtual void on_interrupted(int64_t /*epoch*/) {}
};

/// Result of forward + backward on one micro-batch (0-dim tensors, not yet synchronised).
struct MicroStep {
  torch::Tensor loss;  // cross-entropy
  torch::Tensor l1;    // lambda * sum |W|
};

class Trainer {
 public:
  /// `updates_per_epoch` sizes the LR schedule (ceil(batches / accum)).
  Trainer(models::Classifier model, TrainConfig config, torch::Device device,
          int64_t updates_per_epoch);

  /// Data-parallel training over `group` (nullptr: one process; the group must outlive the
  /// trainer). Parameters and buffers are broadcast from rank 0 now; from then on gradients are
  /// summed over the ranks at each optimizer step (GradSync), floating-point buffers (BatchNorm
  /// running statistics, computed locally as DDP does) are averaged over the ranks before each
  /// evaluation, and evaluation metrics are summed over the ranks' shards.
  void set_group(dist::ProcessGroup* group, dist::GradSyncOptions options = {});
  const dist::GradSync* grad_sync() const { return grad_sync_.get(); }

  /// Frozen-backbone feature caching (train/feature_cache.h): the training and evaluation sets
  /// have `train_samples` / `eval_samples` rows, the stores live on `store_device` (where the
  /// data lives) and may use `budget_bytes` together.
  void set_feature_cache(const FeatureCachePlan& plan, int64_t train_samples, int64_t eval_samples,
                         torch::Device store_device, int64_t budget_bytes);
  const FeatureCachePlan& feature_cache_plan() const { return cache_plan_; }
  const FeatureCache* train_cache() const { return train_cache_.get(); }
  const FeatureCache* eval_cache() const { return eval_cache_.get(); }

  /// With --amp: one forward/backward of `sample` under autocast, so an op without a
  /// low-precision kernel fails now with a clear message instead of mid-epoch. Changes nothing.
  void check_amp_supported(const torch::Tensor& sample);

  /// Enters `epoch`: freezes or unfreezes the backbone, applies the BN policy, sets train mode.
  void begin_epoch(int64_t epoch);
  Phase phase() const { return phase_; }
  /// The epoch the backbone unfreezes at (the config's, or one decided during the run when it
  /// is `auto`; INT64_MAX = not yet): the phase of later epochs and the LR decay follow it.
  void set_unfreeze_epoch(int64_t epoch);
  int64_t unfreeze_epoch() const { return unfreeze_at_; }
  /// Ends fit() after the current epoch's callbacks (an energy-aware stop).
  void request_stop() { stop_requested_ = true; }
  bool stop_requested() const { return stop_requested_; }

  /// Cost probes (the forecast's start-up measurement): forward + backward passes of `batch`
  /// as in `phase`, without optimizer step, at least `min_steps`, more while under `min_s`
  /// seconds, at most `max_steps`; returns how many ran. Gradients are dropped and BatchNorm
  /// running statistics restored, so training is unchanged. No gradient is synchronised.
  int64_t probe_train_steps(const data::Batch& batch, Phase phase, int64_t min_steps,
                            double min_s = 0.0, int64_t max_steps = 0);
  /// One evaluation forward pass of `batch` (no_grad, eval mode), as evaluate() does it.
  void probe_eval_batch(const data::Batch& batch);

  /// Forward under autocast (backbone without autograd while frozen) and the loss.
  torch::Tensor forward(const torch::Tensor& x);
  /// Forward + backward of one micro-batch of an accumulation window of `window` micro-batches:
  /// the loss (plus L1) is divided by `window` so the summed gradient is the window's mean.
  /// `loss_weight` scales this rank's loss so that the sum over ranks of their gradients,
  /// divided by the world size, is the gradient of the global batch's mean loss (n_rank *
  /// world / n_global; 1 in one process).
  MicroStep micro_step(const data::Batch& batch, int64_t window, double loss_weight = 1.0);
  /// Optimizer step at the end of a window (unscale + overflow check under fp16), then drops
  /// the gradients. Returns false when the loss scaler skipped the step.
  bool optimizer_step();

  /// One epoch over `loader` (set_epoch is called here), with accumulation windows.
  EpochStats train_epoch(int64_t epoch, data::BatchLoader& loader,
                         const std::vector<TrainerCallback*>& callbacks = {});
  /// Evaluation over `loader` (no_grad, autocast when amp is on); after a frozen epoch from
  /// the cached evaluation features when the plan caches them.
  eval::EvalResult evaluate(data::BatchLoader& loader);
  /// Where the last evaluate()'s features came from (EpochStats::eval_features).
  const std::string& last_eval_features() const { return last_eval_features_; }
  /// Epochs [start_epoch, config.epochs): train, evaluate, callbacks.
  std::vector<EpochStats> fit(data::BatchLoader& train, data::BatchLoader& eval,
                              int64_t start_epoch,
                              const std::vector<TrainerCallback*>& callbacks = {});

  /// Model, optimizer and scaler state plus `epoch` (the last finished epoch), in torch.save's
  /// format with everything keyed by name (train/checkpoint.h has the layout).
  void save_checkpoint(const std::string& path, int64_t epoch);
  /// Restores what save_checkpoint wrote (or an earlier EDEN's TorchScript-archive checkpoint);
  /// returns the last finished epoch.
  int64_t load_checkpoint(const std::string& path);

  models::ClassifierImpl& model() { return *model_; }
  torch::optim::Optimizer& optimizer() { return *optimizer_; }
  const TrainConfig& config() const { return config_; }
  int64_t global_update() const { return update_; }
  const DynamicLossScaler* loss_scaler() const { return scaler_ ? &*scaler_ : nullptr; }
  /// Samples per optimizer step: batch_size * accum (* ranks in a group).
  int64_t effective_batch() const {
    return config_.batch_size * config_.accum * (group_ ? group_->world_size() : 1);
  }

 private:
  void set_lr(double lr);
  /// The frozen phase's module modes after model.train(): BatchNorm and dropout policies.
  void apply_frozen_modes();
  /// Logits of a micro-batch in training (the frozen backbone without autograd, its features
  /// through `cache` when one is given).
  torch::Tensor batch_logits(const data::Batch& batch, FeatureCache* cache);
  /// The frozen backbone's features of `batch`: from `cache` when it is filled, else computed
  /// (no autograd) and stored when it is filling.
  torch::Tensor frozen_features(const data::Batch& batch, FeatureCache* cache);
  int64_t cache_budget_left(const FeatureCache& cache) const;
  /// A frozen epoch follows the current one: worth filling a cache for.
  bool later_frozen_epoch() const;
  int64_t load_pickle_checkpoint(const std::string& path);
  /// The signal to stop on now (0: go on). In a group all ranks decide together, at
  /// `update_boundary`s only (between them there is no collective to stop in step).
  int stop_signal(bool update_boundary);
  /// Calls on_interrupted and throws eden::Interrupted for `signal` at `where`.
  [[noreturn]] void stop(int signal, int64_t epoch, const std::string& where,
                         const std::vector<TrainerCallback*>& callbacks);
  /// Puts 4-D parameters and buffers in the configured memory format (after load too).
  void apply_memory_format();
  /// The batch in the configured memory format.
  torch::Tensor prepare_input(const torch::Tensor& x) const;
  double current_lr() const;
  /// Sums `t` over the ranks in place (no-op in one process).
  void sum_over_ranks(torch::Tensor& t, const char* what);
  void average_buffers();

  models::Classifier model_;
  TrainConfig config_;
  torch::Device device_;
  bool amp_;
  std::unique_ptr<torch::optim::Optimizer> optimizer_;
  std::vector<torch::Tensor> params_;        // the optimizer's, once (no list built per step)
  std::vector<torch::Tensor> l1_targets_;    // trainable >= 2-D weights; set by begin_epoch
  std::optional<DynamicLossScaler> scaler_;  // fp16 on CUDA only; bf16 needs none
  dist::ProcessGroup* group_ = nullptr;
  std::unique_ptr<dist::GradSync> grad_sync_;
  LrScheduleOptions schedule_;
  Phase phase_ = Phase::kFull;
  int64_t unfreeze_at_ = 0;
  bool stop_requested_ = false;
  int64_t epoch_ = 0;
  int64_t update_ = 0;  // global optimizer steps so far
  int64_t skipped_ = 0;
  FeatureCachePlan cache_plan_;
  std::unique_ptr<FeatureCache> train_cache_, eval_cache_;
  FeatureCache* active_train_cache_ = nullptr;  // set during a frozen epoch that uses it
  int64_t cache_budget_bytes_ = 0;
  std::string last_eval_features_ = "computed";
};

}  // namespace eden::train
