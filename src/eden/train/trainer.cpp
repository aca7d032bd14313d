// The E2AM training loop.
#include "eden/train/trainer.h"

#include <fmt/format.h>

#include <chrono>
#include <cmath>
#include <limits>

#include "eden/io/state_dict.h"
#include "eden/io/torch_checkpoint.h"
#include "eden/train/checkpoint.h"
#include "eden/train/freeze.h"
#include "eden/train/fused_adamw.h"
#include "eden/train/l1.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"
#include "eden/util/interrupt.h"
#include "eden/util/torch_compat.h"

namespace eden::train {
namespace {

namespace F = torch::nn::functional;

/// EpochStats' train_features / eval_features of a pass that used `cache` (nullptr: none).
const char* features_source(bool read_from_cache, const FeatureCache* cache) {
  if (read_from_cache) return "cached";
  return cache != nullptr && cache->ready() ? "stored" : "computed";
}

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

/// Weight decay only on >= 2-D weights, as timm does (not on biases and norm parameters).
std::unique_ptr<torch::optim::Optimizer> make_optimizer(torch::nn::Module& model,
                                                        const TrainConfig& c) {
  std::vector<torch::Tensor> decay, no_decay;
  for (auto& p : model.parameters()) (p.dim() >= 2 ? decay : no_decay).push_back(p);
  std::vector<torch::optim::OptimizerParamGroup> groups;
  if (c.optimizer == "adamw") {
    auto base = torch::optim::AdamWOptions(c.lr).weight_decay(c.weight_decay);
    groups.emplace_back(decay, std::make_unique<torch::optim::AdamWOptions>(base));
    groups.emplace_back(no_decay, std::make_unique<torch::optim::AdamWOptions>(
                                      torch::optim::AdamWOptions(base).weight_decay(0.0)));
    return std::make_unique<FusedAdamW>(std::move(groups), base);
  }
  EDEN_CHECK(c.optimizer == "sgd", "--optimizer: unknown optimizer '", c.optimizer, "'");
  EDEN_CHECK(!c.nesterov || c.momentum > 0, "--nesterov needs --momentum > 0");
  auto base = torch::optim::SGDOptions(c.lr)
                  .momentum(c.momentum)
                  .nesterov(c.nesterov)
                  .weight_decay(c.weight_decay);
  groups.emplace_back(decay, std::make_unique<torch::optim::SGDOptions>(base));
  groups.emplace_back(no_decay, std::make_unique<torch::optim::SGDOptions>(
                                    torch::optim::SGDOptions(base).weight_decay(0.0)));
  return std::make_unique<torch::optim::SGD>(std::move(groups), base);
}

}  // namespace

Trainer::Trainer(models::Classifier model, TrainConfig config, torch::Device device,
                 int64_t updates_per_epoch)
    : model_(std::move(model)), config_(std::move(config)), device_(device), amp_(config_.amp) {
  EDEN_ASSERT(model_ != nullptr, "Trainer needs a model");
  EDEN_CHECK(updates_per_epoch > 0, "no training batches: the training set is empty");
  model_->to(device_);
  apply_memory_format();
  optimizer_ = make_optimizer(*model_, config_);
  for (auto& group : optimizer_->param_groups()) {
    for (auto& p : group.params()) params_.push_back(p);
  }
  l1_targets_ = l1_targets(*model_);  // begin_epoch updates it for the phase
  if (amp_ && device_.is_cuda()) scaler_.emplace();
  schedule_.kind = config_.schedule;
  schedule_.base_lr = config_.lr;
  schedule_.updates_per_epoch = updates_per_epoch;
  schedule_.epochs = config_.epochs;
  schedule_.warmup_epochs = config_.warmup_epochs;
  schedule_.min_lr_ratio = config_.min_lr_ratio;
  schedule_.step_epochs = config_.step_epochs;
  schedule_.step_gamma = config_.step_gamma;
  schedule_.unfreeze_lr_decay = config_.unfreeze_lr_decay;
  set_unfreeze_epoch(config_.unfreeze_epoch == kUnfreezeAuto ? std::numeric_limits<int64_t>::max()
                                                             : config_.unfreeze_epoch);
}

void Trainer::set_unfreeze_epoch(int64_t epoch) {
  EDEN_ASSERT(epoch >= 0, "unfreeze epoch ", epoch);
  unfreeze_at_ = epoch;
  // The schedule's 0 means "never": an undecided auto run has no decay yet.
  schedule_.unfreeze_epoch = epoch == std::numeric_limits<int64_t>::max() ? 0 : epoch;
}

int64_t Trainer::probe_train_steps(const data::Batch& batch, Phase phase, int64_t min_steps,
                                   double min_s, int64_t max_steps) {
  std::vector<torch::Tensor> saved;
  {
    torch::NoGradGuard no_grad;
    for (const auto& b : model_->buffers()) saved.push_back(b.clone());
  }
  const Phase was = phase_;
  phase_ = phase;
  set_backbone_trainable(*model_, phase == Phase::kFull);
  const auto targets = l1_targets_;
  l1_targets_ = l1_targets(*model_);
  model_->train();
  apply_frozen_modes();
  const auto t0 = std::chrono::steady_clock::now();
  int64_t steps = 0;
  do {
    micro_step(batch, config_.accum);
    synchronize(device_);
    ++steps;
  } while (steps < min_steps || (seconds_since(t0) < min_s && steps < max_steps));
  for (auto& p : model_->parameters()) p.mutable_grad().reset();
  {
    torch::NoGradGuard no_grad;
    auto buffers = model_->buffers();
    for (size_t i = 0; i < buffers.size(); ++i) buffers[i].copy_(saved[i]);
  }
  phase_ = was;
  set_backbone_trainable(*model_, phase_ == Phase::kFull);
  l1_targets_ = targets;
  return steps;
}

void Trainer::probe_eval_batch(const data::Batch& batch) {
  torch::NoGradGuard no_grad;
  const bool was_training = model_->is_training();
  model_->eval();
  {
    AutocastGuard autocast(device_.type(), amp_);
    const auto logits = model_->forward(prepare_input(batch.x)).to(torch::kFloat);
    F::cross_entropy(logits, batch.y, F::CrossEntropyFuncOptions().reduction(torch::kSum));
  }
  synchronize(device_);
  model_->train(was_training);
}

void Trainer::check_amp_supported(const torch::Tensor& sample) {
  if (!amp_) return;
  const bool was_training = model_->is_training();
  model_->eval();  // eval mode: BatchNorm statistics do not move
  try {
    torch::Tensor out;
    {
      AutocastGuard autocast(device_.type(), true);
      out = model_->forward(sample);
    }
    out.to(torch::kFloat).sum().backward();
  } catch (const c10::Error& e) {
    std::string what = e.what_without_backtrace();
    what = what.substr(0, what.find('\n'));
    for (auto& p : model_->parameters()) p.mutable_grad().reset();
    model_->train(was_training);
    EDEN_CHECK(false, "[amp] model '", config_.model, "' cannot train under ",
               c10::toString(AutocastGuard::dtype_for(device_.type())), " autocast with LibTorch ",
               torch_version(), ": ", what, "; hint: run without --amp");
  }
  for (auto& p : model_->parameters()) p.mutable_grad().reset();
  model_->train(was_training);
}

void Trainer::begin_epoch(int64_t epoch) {
  epoch_ = epoch;
  phase_ = epoch < unfreeze_at_ ? Phase::kFrozen : Phase::kFull;
  set_backbone_trainable(*model_, phase_ == Phase::kFull);
  l1_targets_ = l1_targets(*model_);                // trainable weights of this phase
  if (grad_sync_) grad_sync_->set_params(params_);  // the buckets follow the trainable set
  model_->train();
  apply_frozen_modes();
  if (phase_ == Phase::kFull) {  // the backbone trains from now on: its features change
    if (train_cache_) train_cache_->release();
    if (eval_cache_) eval_cache_->release();
  }
}

bool Trainer::later_frozen_epoch() const {
  return epoch_ + 1 < std::min(unfreeze_at_, config_.epochs);
}

void Trainer::apply_frozen_modes() {
  if (phase_ != Phase::kFrozen) return;
  if (config_.frozen_bn == "eval") freeze_backbone_batchnorm(*model_);
  if (config_.frozen_dropout == "eval" || cache_plan_.dropout_off) freeze_backbone_dropout(*model_);
}

void Trainer::set_feature_cache(const FeatureCachePlan& plan, int64_t train_samples,
                                int64_t eval_samples, torch::Device store_device,
                                int64_t budget_bytes) {
  cache_plan_ = plan;
  cache_budget_bytes_ = budget_bytes;
  train_cache_.reset();
  eval_cache_.reset();
  if (plan.train)
    train_cache_ = std::make_unique<FeatureCache>("training", train_samples, store_device);
  if (plan.eval)
    eval_cache_ = std::make_unique<FeatureCache>("evaluation", eval_samples, store_device);
}

int64_t Trainer::cache_budget_left(const FeatureCache& cache) const {
  int64_t used = 0;
  for (const auto* c : {train_cache_.get(), eval_cache_.get()}) {
    if (c != nullptr && c != &cache) used += c->bytes();
  }
  return cache_budget_bytes_ - used;
}

torch::Tensor Trainer::frozen_features(const data::Batch& batch, FeatureCache* cache) {
  if (cache != nullptr && cache->ready()) return cache->get(batch.index, device_);
  torch::Tensor features;
  {
    torch::NoGradGuard no_grad;  // the frozen backbone builds no autograd graph
    features = model_->forward_features(prepare_input(batch.x));
  }
  if (cache != nullptr && cache->filling())
    cache->put(batch.index, features, cache_budget_left(*cache));
  return features;
}

torch::Tensor Trainer::batch_logits(const data::Batch& batch, FeatureCache* cache) {
  AutocastGuard autocast(device_.type(), amp_);
  if (phase_ == Phase::kFrozen && model_->is_training()) {
    return model_->forward_head(frozen_features(batch, cache));
  }
  return model_->forward(prepare_input(batch.x));
}

torch::Tensor Trainer::forward(const torch::Tensor& x) {
  return batch_logits({x, torch::Tensor(), torch::Tensor()}, nullptr);
}

MicroStep Trainer::micro_step(const data::Batch& batch, int64_t window, double loss_weight) {
  EDEN_ASSERT(window >= 1, "accumulation window ", window);
  torch::Tensor loss;
  {
    AutocastGuard autocast(device_.type(), amp_);
    const auto logits = batch_logits(batch, active_train_cache_);
    loss = F::cross_entropy(logits, batch.y,
                            F::CrossEntropyFuncOptions().label_smoothing(config_.label_smoothing));
  }
  // The L1 term's gradient goes straight into .grad, under the same 1/window and loss scale.
  // With a group it goes in before backward, so that the gradient hooks, which see .grad plus
  // the backward's gradient, hand GradSync the window's full gradient.
  const double grad_scale =
      (scaler_ ? scaler_->current_scale() : 1.0) / static_cast<double>(window);
  torch::Tensor l1;
  if (grad_sync_) l1 = add_l1_gradient(l1_targets_, config_.l1, grad_scale);
  auto total = loss.to(torch::kFloat) * (loss_weight / static_cast<double>(window));
  if (scaler_) {
    scaler_->scale(total).backward();
  } else {
    total.backward();
  }
  if (!grad_sync_) l1 = add_l1_gradient(l1_targets_, config_.l1, grad_scale);
  return {loss.detach(), l1};
}

void Trainer::set_group(dist::ProcessGroup* group, dist::GradSyncOptions options) {
  group_ = group;
  grad_sync_.reset();
  if (group_ == nullptr) return;
  torch::NoGradGuard no_grad;
  for (auto& p : model_->parameters()) group_->broadcast(p.data(), 0);
  for (auto& b : model_->buffers()) group_->broadcast(b, 0);
  grad_sync_ = std::make_unique<dist::GradSync>(*group_, options);
  grad_sync_->set_params(params_);
}

void Trainer::sum_over_ranks(torch::Tensor& t, const char* what) {
  if (group_ != nullptr) group_->allreduce_sum(t, what);
}

void Trainer::average_buffers() {
  if (group_ == nullptr) return;
  torch::NoGradGuard no_grad;
  for (auto& b : model_->buffers()) {
    if (!b.is_floating_point()) continue;  // num_batches_tracked: the same on every rank
    group_->allreduce_sum(b, "BatchNorm statistics");
    b.div_(group_->world_size());
  }
}

bool Trainer::optimizer_step() {
  bool applied = true;
  if (scaler_) {
    const bool found_inf = scaler_->unscale_and_check(params_);
    applied = !found_inf;
    scaler_->update(found_inf);
  }
  if (applied) {
    optimizer_->step();
  } else {
    ++skipped_;
  }
  // set_to_none: a defined zero gradient would keep moving AdamW state on a frozen weight.
  for (auto& p : params_) p.mutable_grad().reset();
  ++update_;
  return applied;
}

void Trainer::apply_memory_format() {
  if (!config_.channels_last) return;
  torch::NoGradGuard no_grad;
  auto convert = [](torch::Tensor& t) {
    if (t.dim() == 4) t.set_data(t.contiguous(torch::MemoryFormat::ChannelsLast));
  };
  for (auto& p : model_->parameters()) convert(p);
  for (auto& b : model_->buffers()) convert(b);
}

torch::Tensor Trainer::prepare_input(const torch::Tensor& x) const {
  return config_.channels_last && x.dim() == 4 ? x.contiguous(torch::MemoryFormat::ChannelsLast)
                                               : x;
}

void Trainer::set_lr(double lr) {
  for (auto& group : optimizer_->param_groups()) group.options().set_lr(lr);
}

double Trainer::current_lr() const {
  return optimizer_->param_groups().front().options().get_lr();
}

EpochStats Trainer::train_epoch(int64_t epoch, data::BatchLoader& loader,
                                const std::vector<TrainerCallback*>& callbacks) {
  begin_epoch(epoch);
  const bool frozen = phase_ == Phase::kFrozen;
  if (cache_plan_.augmentation_off) loader.set_augmentation(!frozen);
  loader.set_epoch(epoch);
  // Filled only when a later frozen epoch will read it (not in the last frozen epoch, as when
  // a run resumes into it).
  const bool later_frozen = later_frozen_epoch();
  FeatureCache* cache =
      frozen && train_cache_ && !train_cache_->off() ? train_cache_.get() : nullptr;
  const bool cached = cache != nullptr && cache->ready();
  if (!cached && !later_frozen) cache = nullptr;
  if (cache != nullptr && !cached) cache->begin_fill();
  active_train_cache_ = cache;
  const int64_t nb = loader.num_batches();
  const int64_t accum = config_.accum;
  for (auto* cb : callbacks) cb->on_train_begin(epoch, nb);
  synchronize(device_);
  const auto t0 = std::chrono::steady_clock::now();

  EpochStats stats;
  stats.epoch = epoch;
  stats.phase = phase_;
  stats.effective_batch = effective_batch();
  const int64_t skipped_before = skipped_;
  const double wait_before = grad_sync_ ? grad_sync_->wait_s() : 0.0;
  auto loss_sum = torch::zeros({}, torch::TensorOptions().dtype(torch::kDouble).device(device_));
  auto l1_sum = torch::zeros_like(loss_sum);
  int64_t images = 0;
  for (int64_t b = 0; b < nb; ++b) {
    const int64_t window_start = b - b % accum;
    const int64_t window = std::min(accum, nb - window_start);  // the last window may be short
    if (b == window_start) {
      set_lr(learning_rate(schedule_, epoch, update_));
      if (b == 0) stats.lr = current_lr();
    }
    const auto batch = cached ? loader.targets(b) : loader.batch(b);
    const int64_t n = batch.y.size(0);
    const bool last_of_window = b == window_start + window - 1;
    if (grad_sync_ && last_of_window) grad_sync_->arm();
    if (n > 0) {  // a rank's part of a short last global batch may be empty
      const double weight = group_ ? static_cast<double>(n * group_->world_size()) /
                                         static_cast<double>(loader.global_batch_samples(b))
                                   : 1.0;
      const auto step = micro_step(batch, window, weight);
      loss_sum += step.loss.to(torch::kDouble) * static_cast<double>(n);
      l1_sum += step.l1.to(torch::kDouble) * static_cast<double>(n);
    }
    if (last_of_window) {
      if (grad_sync_) grad_sync_->finish(1.0 / group_->world_size());
      optimizer_step();
      ++stats.updates;
    }
    images += n;
    for (auto* cb : callbacks) cb->on_batch_end(b, nb, images);
    if (const int sig = stop_signal(last_of_window); sig != 0) {
      stop(sig, epoch, fmt::format("during epoch {} (batch {} of {})", epoch + 1, b + 1, nb),
           callbacks);
    }
  }
  active_train_cache_ = nullptr;
  if (cache != nullptr && cache->filling()) cache->end_fill(group_, /*exchange=*/true);
  stats.train_features = features_source(cached, cache);
  synchronize(device_);
  stats.train_time_s = seconds_since(t0);
  if (grad_sync_) stats.comm_wait_s = grad_sync_->wait_s() - wait_before;
  if (group_ != nullptr) {
    auto sums = torch::stack({loss_sum.to(torch::kCPU), l1_sum.to(torch::kCPU),
                              torch::tensor(static_cast<double>(images), torch::kDouble)});
    sum_over_ranks(sums, "epoch statistics");
    loss_sum = sums[0];
    l1_sum = sums[1];
    images = static_cast<int64_t>(sums[2].item<double>());
    average_buffers();
  }
  stats.train_images = images;
  stats.train_loss = images > 0 ? loss_sum.item<double>() / static_cast<double>(images) : 0.0;
  stats.train_l1 = images > 0 ? l1_sum.item<double>() / static_cast<double>(images) : 0.0;
  EDEN_CHECK(std::isfinite(stats.train_loss), "training diverged in epoch ", epoch,
             ": the loss is ", stats.train_loss, "; hint: lower --lr");
  stats.skipped_steps = skipped_ - skipped_before;
  stats.loss_scale = scaler_ ? scaler_->current_scale() : 1.0;
  for (auto* cb : callbacks) cb->on_train_end(epoch);
  return stats;
}

eval::EvalResult Trainer::evaluate(data::BatchLoader& loader) {
  torch::NoGradGuard no_grad;
  model_->eval();
  loader.set_epoch(0);
  // After a frozen epoch the backbone is the same as at the last frozen evaluation.
  FeatureCache* cache =
      phase_ == Phase::kFrozen && eval_cache_ && !eval_cache_->off() ? eval_cache_.get() : nullptr;
  const bool cached = cache != nullptr && cache->ready();
  if (!cached && !later_frozen_epoch()) cache = nullptr;
  if (cache != nullptr && !cached) cache->begin_fill();
  std::optional<eval::MetricAccumulator> metrics;
  for (int64_t b = 0; b < loader.num_batches(); ++b) {
    if (const int sig = stop_signal(false); sig != 0) {
      throw Interrupted(sig, fmt::format("{} during evaluation (batch {} of {})", signal_name(sig),
                                         b + 1, loader.num_batches()));
    }
    const auto batch = cached ? loader.targets(b) : loader.batch(b);
    if (batch.y.size(0) == 0) continue;  // this rank's part of a short last batch
    torch::Tensor logits;
    {
      AutocastGuard autocast(device_.type(), amp_);
      logits = (cache != nullptr ? model_->forward_head(frozen_features(batch, cache))
                                 : model_->forward(prepare_input(batch.x)))
                   .to(torch::kFloat);
    }
    if (!metrics) metrics.emplace(logits.size(1));
    const auto loss_sum =
        F::cross_entropy(logits, batch.y, F::CrossEntropyFuncOptions().reduction(torch::kSum));
    metrics->add(logits, batch.y, loss_sum);
  }
  if (cache != nullptr && cache->filling()) cache->end_fill(group_, /*exchange=*/false);
  last_eval_features_ = features_source(cached, cache);
  EDEN_CHECK(metrics.has_value(), "evaluation set is empty",
             group_ ? " on this rank (fewer evaluation images than ranks)" : "");
  if (group_ != nullptr) {
    metrics->reduce([this](torch::Tensor& t) { sum_over_ranks(t, "evaluation counts"); });
  }
  return metrics->finish();
}

int Trainer::stop_signal(bool update_boundary) {
  if (group_ == nullptr) return interrupt_requested();
  if (!update_boundary) return 0;
  return static_cast<int>(group_->max_over_ranks(interrupt_requested(), "a stop on a signal"));
}

void Trainer::stop(int signal, int64_t epoch, const std::string& where,
                   const std::vector<TrainerCallback*>& callbacks) {
  for (auto* cb : callbacks) cb->on_interrupted(epoch);
  throw Interrupted(signal, signal_name(signal) + " " + where, "",
                    group_ == nullptr || group_->rank() == 0);
}

std::vector<EpochStats> Trainer::fit(data::BatchLoader& train, data::BatchLoader& eval,
                                     int64_t start_epoch,
                                     const std::vector<TrainerCallback*>& callbacks) {
  std::vector<EpochStats> all;
  for (int64_t epoch = start_epoch; epoch < config_.epochs; ++epoch) {
    if (epoch > start_epoch) {  // a signal during the last epoch's checkpoint: stop here
      if (const int sig = stop_signal(true); sig != 0) {
        stop(sig, epoch, fmt::format("after epoch {}", epoch), callbacks);
      }
    }
    // Reseed per epoch so dropout draws do not depend on where a resumed run restarted.
    torch::manual_seed(static_cast<uint64_t>(config_.seed) * 1000003ULL +
                       static_cast<uint64_t>(epoch));
    auto stats = train_epoch(epoch, train, callbacks);
    for (auto* cb : callbacks) cb->on_eval_begin(epoch);
    synchronize(device_);
    const auto t0 = std::chrono::steady_clock::now();
    try {
      stats.eval = evaluate(eval);
    } catch (const Interrupted&) {
      for (auto* cb : callbacks) cb->on_interrupted(epoch);
      throw;
    }
    synchronize(device_);
    stats.eval_time_s = seconds_since(t0);
    stats.eval_features = last_eval_features_;
    for (auto* cb : callbacks) cb->on_eval_end(epoch);
    stats.sparsity = weight_sparsity(*model_);
    for (auto* cb : callbacks) cb->on_epoch_end(stats);
    all.push_back(std::move(stats));
    if (stop_requested_) break;  // an energy-aware stop (budget, target, plateau)
  }
  return all;
}

void Trainer::save_checkpoint(const std::string& path, int64_t epoch) {
  auto model = io::PickleValue::dict_of();
  for (const auto& item : io::state_dict(*model_)) {
    model.dict.emplace_back(item.key(), io::PickleValue::of(item.value()));
  }
  auto root = io::PickleValue::dict_of({
      {"format", io::PickleValue::of(kCheckpointFormat)},
      {"eden_version", io::PickleValue::of(EDEN_VERSION)},
      {"epoch", io::PickleValue::of(epoch)},
      {"update", io::PickleValue::of(update_)},
      {"skipped_steps", io::PickleValue::of(skipped_)},
      {"model", std::move(model)},
      {"optimizer", optimizer_to_pickle(*optimizer_, *model_)},
  });
  if (scaler_) {
    root.set("scaler", io::PickleValue::dict_of(
                           {{"scale", io::PickleValue::of(scaler_->current_scale())},
                            {"growth_tracker", io::PickleValue::of(scaler_->growth_tracker())}}));
  }
  replace_file_atomic(path, [&](const fs::path& tmp) { io::write_torch_save(tmp.string(), root); });
}

int64_t Trainer::load_checkpoint(const std::string& path) {
  EDEN_CHECK(fs::exists(path), "checkpoint ", path, " does not exist");
  if (!io::is_torchscript_archive(path)) return load_pickle_checkpoint(path);
  // A checkpoint of EDEN before the torch.save format (a TorchScript archive).
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path, device_);
  } catch (const c10::Error& e) {
    EDEN_CHECK(false, "checkpoint ", path, " is unreadable (", e.what_without_backtrace(), ")");
  }
  torch::serialize::InputArchive model_archive;
  archive.read("model", model_archive);
  model_->load(model_archive);
  apply_memory_format();
  torch::serialize::InputArchive optim_archive;
  archive.read("optimizer", optim_archive);
  optimizer_->load(optim_archive);
  torch::Tensor t;
  archive.read("epoch", t);
  const int64_t epoch = t.item<int64_t>();
  archive.read("update", t);
  update_ = t.item<int64_t>();
  archive.read("skipped", t);
  skipped_ = t.item<int64_t>();
  if (scaler_) {
    torch::Tensor scale, tracker;
    if (archive.try_read("loss_scale", scale) && archive.try_read("growth_tracker", tracker)) {
      scaler_->set_state(scale.item<double>(), tracker.item<int64_t>());
    }
  }
  return epoch;
}

int64_t Trainer::load_pickle_checkpoint(const std::string& path) {
  const io::PickleValue root = io::read_torch_save(path);
  using Kind = io::PickleValue::Kind;
  const std::string what = "checkpoint " + path;
  const io::PickleValue* format = root.find("format");
  EDEN_CHECK(format != nullptr && format->kind == Kind::kString && format->s == kCheckpointFormat,
             what, " is not an EDEN checkpoint (no format '", kCheckpointFormat, "')");
  io::TensorDict tensors;
  for (const auto& [name, v] : root.at("model", Kind::kDict, what).dict) {
    EDEN_CHECK(v.kind == Kind::kTensor, what, ": model entry '", name, "' is not a tensor");
    tensors.insert(name, v.tensor);
  }
  io::load_state_dict(*model_, tensors, /*strict=*/true);
  apply_memory_format();
  optimizer_from_pickle(*optimizer_, *model_, root.at("optimizer", Kind::kDict, what), what);
  update_ = root.at("update", Kind::kInt, what).i;
  skipped_ = root.at("skipped_steps", Kind::kInt, what).i;
  if (scaler_) {
    if (const io::PickleValue* sc = root.find("scaler"); sc != nullptr) {
      scaler_->set_state(sc->number("scale", what), sc->at("growth_tracker", Kind::kInt, what).i);
    }
  }
  return root.at("epoch", Kind::kInt, what).i;
}

}  // namespace eden::train
