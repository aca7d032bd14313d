// Run orchestration: prepares data, model and trainer, records every epoch in the run directory.
#include "eden/train/run.h"

#include <fmt/format.h>

#include <chrono>
#include <ctime>
#include <fstream>
#include <set>
#include <tuple>

#include "eden/data/batch_loader.h"
#include "eden/data/cifar_reader.h"
#include "eden/data/decoded_cache.h"
#include "eden/data/idx_reader.h"
#include "eden/data/image_folder.h"
#include "eden/dist/env.h"
#include "eden/dist/process_group.h"
#include "eden/energy/environment.h"
#include "eden/energy/monitor.h"
#include "eden/io/pretrained.h"
#include "eden/models/registry.h"
#include "eden/report/csv_log.h"
#include "eden/train/energy_controller.h"
#include "eden/train/energy_recorder.h"
#include "eden/train/feature_cache.h"
#include "eden/train/freeze.h"
#include "eden/train/progress.h"
#include "eden/train/run_control.h"
#include "eden/util/blas_threads.h"
#include "eden/util/check.h"
#include "eden/util/directory_lock.h"
#include "eden/util/fs.h"
#include "eden/util/host_allocator.h"
#include "eden/util/interrupt.h"
#include "eden/util/system.h"
#include "eden/util/torch_compat.h"

namespace eden::train {
namespace {

std::string fmt_double(double v) {
  return fmt::format("{:.6g}", v);
}

report::CsvRow log_row(const EpochStats& s) {
  const double epoch_time = s.train_time_s + s.eval_time_s;
  const double ips = s.train_time_s > 0 ? static_cast<double>(s.train_images) / s.train_time_s : 0;
  return {
      {"epoch", std::to_string(s.epoch)},
      {"phase", to_string(s.phase)},
      {"lr", fmt::format("{:.6e}", s.lr)},
      {"train_loss", fmt_double(s.train_loss)},
      {"train_l1", fmt_double(s.train_l1)},
      {"sparsity", fmt_double(s.sparsity)},
      {"eval_loss", fmt_double(s.eval.loss)},
      {"eval_top1", fmt_double(s.eval.top1)},
      {"eval_top5", fmt_double(s.eval.top5)},
      {"eval_f1", fmt_double(s.eval.macro_f1)},
      {"epoch_time_s", fmt::format("{:.3f}", epoch_time)},
      {"train_time_s", fmt::format("{:.3f}", s.train_time_s)},
      {"eval_time_s", fmt::format("{:.3f}", s.eval_time_s)},
      {"train_images_per_s", fmt::format("{:.1f}", ips)},
      {"effective_batch", std::to_string(s.effective_batch)},
      {"updates", std::to_string(s.updates)},
      {"skipped_steps", std::to_string(s.skipped_steps)},
      {"loss_scale", fmt_double(s.loss_scale)},
      {"comm_wait_s", fmt::format("{:.3f}", s.comm_wait_s)},
      {"train_features", s.train_features},
      {"eval_features", s.eval_features},
  };
}

/// Writes log.csv, the checkpoint and metrics.json at the end of every epoch, in that order
/// (resume drops log rows past the checkpoint).
class RunRecorder : public TrainerCallback {
 public:
  RunRecorder(fs::path dir, Trainer& trainer, nlohmann::json base, std::vector<std::string> classes,
              EnergyRecorder* energy, io::Metadata weights_metadata, EnergyController* control,
              nlohmann::json info)
      : dir_(std::move(dir)),
        weights_metadata_(std::move(weights_metadata)),
        trainer_(trainer),
        energy_(energy),
        control_(control),
        info_(std::move(info)),
        base_(std::move(base)),
        classes_(std::move(classes)),
        log_(dir_ / RunFiles::kLog) {
    if (fs::exists(log_.path())) {
      auto [header, rows] = report::read_csv(log_.path());
      for (size_t i = 0; i < header.size(); ++i) {
        if (header[i] != "epoch_time_s") continue;
        for (const auto& r : rows) total_time_s_ += i < r.size() ? std::stod(r[i]) : 0.0;
      }
    }
  }

  void on_epoch_end(const EpochStats& s) override {
    auto row = log_row(s);
    nlohmann::json m = base_;
    if (energy_ != nullptr) energy_->record_epoch(row, m);
    if (control_ != nullptr) control_->add_columns(row);
    log_.append(row);
    report_feature_cache(s);
    // Before the checkpoint: a resume finds every decision it covers.
    if (control_ != nullptr) info_["control"] = control_->state();
    write_file_atomic(dir_ / RunFiles::kRunInfo, info_.dump(2) + "\n");
    trainer_.save_checkpoint((dir_ / RunFiles::kCheckpoint).string(), s.epoch);
    replace_file_atomic(dir_ / RunFiles::kWeights, [&](const fs::path& tmp) {
      io::save_safetensors(trainer_.model(), tmp.string(), weights_metadata_);
    });
    total_time_s_ += s.train_time_s + s.eval_time_s;
    m.update(eval::to_json(s.eval, classes_));
    m["epochs_completed"] = s.epoch + 1;
    m["final_phase"] = to_string(s.phase);
    if (control_ != nullptr) control_->add_metrics(m);
    const int64_t unfreeze = trainer_.unfreeze_epoch();  // an auto run's decided epoch
    m["unfreeze_epoch"] =
        unfreeze == kUnfreezeUndecided ? nlohmann::json(nullptr) : nlohmann::json(unfreeze);
    m["train_loss"] = s.train_loss;
    m["sparsity"] = s.sparsity;
    m["sparsity_threshold"] = kSparsityThreshold;
    m["duration_s"] = total_time_s_;
    m["updated_at"] = utc_timestamp("%Y-%m-%dT%H:%M:%SZ");
    write_file_atomic(dir_ / RunFiles::kMetrics, m.dump(2) + "\n");
    last_metrics_ = std::move(m);
  }

  /// The partial epoch's energy was spent: count it (metrics.json, emissions.csv) when a
  /// checkpoint exists to resume from (without one the run starts over and counts anew).
  void on_interrupted(int64_t /*epoch*/) override {
    const auto path = dir_ / RunFiles::kMetrics;
    if (energy_ == nullptr || !fs::exists(path) || !fs::exists(dir_ / RunFiles::kCheckpoint))
      return;
    auto m = nlohmann::json::parse(read_file(path));
    energy_->record_lost(m);
    m["updated_at"] = utc_timestamp("%Y-%m-%dT%H:%M:%SZ");
    write_file_atomic(path, m.dump(2) + "\n");
  }

  const nlohmann::json& last_metrics() const { return last_metrics_; }

 private:
  /// run.json "feature_cache": the plan, what each store holds, the epochs it served; a store
  /// that turned off (over the memory budget) is said once on stderr.
  void report_feature_cache(const EpochStats& s) {
    auto& j = info_["feature_cache"];
    j.update(trainer_.feature_cache_plan().to_json());
    for (const auto& [key, cache, used] :
         {std::tuple{"train_store", trainer_.train_cache(), s.train_features},
          std::tuple{"eval_store", trainer_.eval_cache(), s.eval_features}}) {
      if (cache == nullptr) continue;
      auto& store = j[key];
      if (cache->bytes() > 0) {
        store["bytes"] = cache->bytes();
        store["dtype"] = c10::toString(cache->dtype());
      }
      for (const auto& [list, value] :
           {std::pair{"filled_epochs", "stored"}, std::pair{"cached_epochs", "cached"}}) {
        auto& epochs = store[list];
        if (!epochs.is_array()) epochs = nlohmann::json::array();
        // A resume redoes the epochs after its checkpoint.
        epochs.erase(
            std::remove_if(epochs.begin(), epochs.end(),
                           [&](const nlohmann::json& e) { return e.get<int64_t>() >= s.epoch; }),
            epochs.end());
        if (used == value) epochs.push_back(s.epoch);
      }
      if (cache->off() && !store.contains("off")) {
        store["off"] = cache->reason();
        std::fprintf(stderr, "frozen cache: %s\n", cache->reason().c_str());
      }
    }
  }

  fs::path dir_;
  io::Metadata weights_metadata_;
  Trainer& trainer_;
  EnergyRecorder* energy_;
  EnergyController* control_;
  nlohmann::json info_;  // run.json, rewritten with the control state every epoch
  nlohmann::json base_;
  std::vector<std::string> classes_;
  report::CsvLog log_;
  double total_time_s_ = 0.0;
  nlohmann::json last_metrics_;
};

data::ImageDataset limit(data::ImageDataset ds, int64_t n) {
  if (n <= 0 || n >= ds.size()) return ds;
  return ds.select(torch::arange(n, torch::kLong));
}

// The normalisation `cfg.normalize` asks for; "auto" follows the model for image folders.
data::Normalization choose_normalization(const TrainConfig& cfg, const data::DataSplits& data) {
  std::string kind = cfg.normalize;
  if (kind == "auto") {
    kind = data.report.format == "image-folder" ? models::find_model(cfg.model).input_normalization
                                                : "dataset";
  }
  const auto c = static_cast<size_t>(data.train.channels());
  if (kind == "dataset") return data::measure_normalization(data.train);
  if (kind == "unit") return {std::vector<double>(c, 0.0), std::vector<double>(c, 1.0)};
  EDEN_ASSERT(kind == "imagenet", "normalize ", kind);
  EDEN_CHECK(c == 3, "--normalize imagenet needs 3-channel images, the data has ", c,
             "; hint: --normalize dataset");
  return {{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};
}

void print_load_summary(const std::string& path, const data::DataSplits& d) {
  const auto& r = d.report;
  std::string line = fmt::format(
      "data: {} {}: {} train + {} eval images, {} classes ({}), {} mode, {:.1f} MiB RAM, "
      "loaded in {:.2f} s",
      r.format, path, d.train.size(), d.test.size(), d.train.num_classes(), r.split, r.mode,
      static_cast<double>(r.ram_bytes) / (1 << 20), r.load_s);
  if (r.cache == "hit") {
    line += fmt::format(" from the decoded cache {}", r.cache_path);
  } else if (r.format == "image-folder") {
    line += fmt::format(" on {} threads", r.threads);
    if (r.cache == "written") line += fmt::format("; cached to {}", r.cache_path);
    if (r.cache == "rebuilt") {
      line += fmt::format("; cached to {} (rebuilt: {})", r.cache_path, r.cache_reason);
    }
    if (r.cache == "not-written") {
      line += fmt::format("; not cached ({}: {})", r.cache_path, r.cache_reason);
    }
    if (r.cache == "not-used") line += "; the decoded cache is not used in encoded mode";
  }
  if (!r.skipped.empty()) {
    line += fmt::format("; {} skipped (listed in {}), e.g. {}: {}", r.skipped.size(),
                        RunFiles::kSkipped, r.skipped.front().path, r.skipped.front().reason);
  }
  std::fprintf(stderr, "%s\n", line.c_str());
}

nlohmann::json load_report_json(const data::LoadReport& r) {
  nlohmann::json j = {{"format", r.format},
                      {"mode", r.mode},
                      {"split", r.split},
                      {"files_seen", r.files_seen},
                      {"images_loaded", r.images_loaded},
                      {"skipped", r.skipped.size()},
                      {"ram_bytes", r.ram_bytes},
                      {"load_s", r.load_s},
                      {"threads", r.threads},
                      {"cache", r.cache}};
  if (!r.cache_path.empty()) j["cache_path"] = r.cache_path;
  if (!r.cache_reason.empty()) j["cache_reason"] = r.cache_reason;
  // Data preparation, apart from the run's training energy (energy_j in metrics.json).
  j["energy_j"] = r.energy_source.empty() ? nlohmann::json(nullptr) : nlohmann::json(r.energy_j);
  if (!r.energy_source.empty()) {
    j["energy_source"] = r.energy_source;
    j["energy_covers"] = r.energy_covers;
  }
  if (!r.shared_from.empty()) j["shared_from"] = r.shared_from;
  return j;
}

data::Normalization normalization_from_json(const nlohmann::json& j) {
  data::Normalization n;
  n.mean = j.at("mean").get<std::vector<double>>();
  n.std = j.at("std").get<std::vector<double>>();
  return n;
}

dist::GradSyncOptions grad_sync(const TrainConfig& cfg) {
  dist::GradSyncOptions so;
  so.overlap = cfg.grad_overlap == "on";
  return so;
}

/// Everything a run needs in memory.
struct Session {
  dist::ProcessGroup* group = nullptr;
  torch::Device device = torch::kCPU;
  models::Classifier model;
  std::unique_ptr<data::BatchLoader> train_loader;
  std::unique_ptr<data::BatchLoader> eval_loader;
  std::unique_ptr<Trainer> trainer;
  nlohmann::json info;  // run.json
};

Session prepare(const TrainConfig& cfg, const data::DataSplits& data,
                const nlohmann::json* saved_info) {
  validate(cfg);
  data.train.validate(data.name + " (train)");
  data.test.validate(data.name + " (test)");
  EDEN_CHECK(data.train.classes == data.test.classes, data.name,
             ": train and test splits have different classes");
  Session s;
  s.group = process_group(cfg);
  s.device = resolve_device(cfg.device);
  // A machine's ranks share its cores evenly.
  const int local_ranks = s.group ? s.group->env().local_world_size : 1;
  const int threads = cfg.threads > 0 ? static_cast<int>(cfg.threads)
                                      : std::max(1, usable_cpu_count() / local_ranks);
  // LibTorch's intra-op threads use the cores; BLAS threads inside them would oversubscribe.
  torch::set_num_threads(threads);
  const BlasThreading blas = set_blas_threads(1);
  if (cfg.host_allocator == "caching") install_caching_host_allocator();

  torch::manual_seed(static_cast<uint64_t>(cfg.seed));
  const auto model_options = models::ModelOptions()
                                 .num_classes(data.train.num_classes())
                                 .in_channels(data.train.channels())
                                 .image_size(data.train.height());
  s.model = models::create_model(cfg.model, model_options);
  nlohmann::json pretrained;
  if (!cfg.pretrained.empty() && saved_info == nullptr) {  // a resume restores its checkpoint
    EDEN_CHECK(fs::exists(cfg.pretrained), "--pretrained: ", cfg.pretrained, " does not exist");
    // A fresh head is kept by restoring its initial tensors after the load.
    std::vector<std::pair<std::string, torch::Tensor>> fresh_head;
    if (!cfg.pretrained_head) {
      for (const auto& p : s.model->named_parameters()) {
        if (s.model->is_head(p.key())) fresh_head.emplace_back(p.key(), p.value().detach().clone());
      }
    }
    auto report = io::load_pretrained(*s.model, cfg.pretrained,
                                      io::PretrainedOptions().strict(cfg.pretrained_strict));
    {
      torch::NoGradGuard no_grad;
      auto params = s.model->named_parameters();
      for (const auto& [name, t] : fresh_head) {
        params[name].copy_(t);
        report.reinitialized.push_back(name);
      }
    }
    pretrained = {{"path", cfg.pretrained},
                  {"loaded", report.loaded.size()},
                  {"reinitialized", report.reinitialized},
                  {"adapted", report.adapted},
                  {"missing", report.missing},
                  {"unexpected", report.unexpected}};
    std::fprintf(stderr, "pretrained %s: %zu tensors loaded%s\n", cfg.pretrained.c_str(),
                 report.loaded.size(),
                 report.reinitialized.empty() ? "" : ", head re-initialised (other class count)");
  }

  data::LoaderOptions lo;
  lo.batch_size = cfg.batch_size;
  lo.seed = static_cast<uint64_t>(cfg.seed);
  lo.crop_padding = cfg.crop_padding;
  const bool timm_augment =
      cfg.augment == "timm" || (cfg.augment == "auto" && data.report.format == "image-folder");
  lo.hflip = cfg.hflip || timm_augment;
  lo.random_resized_crop = timm_augment;
  lo.device = s.device;
  lo.preload = data::parse_preload(cfg.preload);
  lo.norm = saved_info != nullptr ? normalization_from_json(saved_info->at("normalization"))
                                  : choose_normalization(cfg, data);
  if (s.group != nullptr) {  // each rank its shard of every global batch (eval too)
    lo.shard_rank = s.group->rank();
    lo.shard_count = s.group->world_size();
  }
  s.train_loader = std::make_unique<data::BatchLoader>(data.train, lo);
  data::LoaderOptions eo = lo;
  eo.batch_size = cfg.eval_batch_size;
  eo.shuffle = false;
  eo.crop_padding = 0;
  eo.hflip = false;
  eo.random_resized_crop = false;
  s.eval_loader = std::make_unique<data::BatchLoader>(data.test, eo);

  const std::string augmentation = timm_augment                      ? "random-resized-crop + hflip"
                                   : lo.hflip && lo.crop_padding > 0 ? "crop-padding + hflip"
                                   : lo.hflip                        ? "hflip"
                                   : lo.crop_padding > 0             ? "crop-padding"
                                                                     : "";
  const int64_t batches = s.train_loader->num_batches();
  const int64_t updates_per_epoch = (batches + cfg.accum - 1) / cfg.accum;
  s.trainer = std::make_unique<Trainer>(s.model, cfg, s.device, updates_per_epoch);
  if (cfg.amp) s.trainer->check_amp_supported(s.train_loader->batch(0).x.narrow(0, 0, 1));
  // The stores live where the data does; host RAM is bounded by what --memory-budget leaves
  // after the decoded images (auto: 60% of the RAM available now, the images already loaded).
  const bool on_device = lo.preload == data::Preload::kDevice;
  const int64_t budget = data::parse_memory_size(cfg.memory_budget);
  s.trainer->set_feature_cache(
      plan_feature_cache(cfg, *s.model, augmentation), data.train.size(), data.test.size(),
      on_device ? s.device : torch::Device(torch::kCPU),
      on_device     ? std::numeric_limits<int64_t>::max()  // the allocation is the check
      : budget == 0 ? data::default_memory_budget()
                    : budget - data.report.ram_bytes);
  // A resumed or re-evaluated run joins after its checkpoint is loaded (rank 0's state is
  // broadcast then, once).
  if (s.group != nullptr && saved_info == nullptr) s.trainer->set_group(s.group, grad_sync(cfg));

  s.info = {
      {"eden_version", EDEN_VERSION},
      {"torch_version", torch_version()},
      {"torch_cuda_build", torch_cuda_build()},
      {"model", cfg.model},
      {"parameters", models::count_parameters(*s.model)},
      {"data", data.name},
      {"data_path", cfg.data},
      {"num_classes", data.train.num_classes()},
      {"image_shape", {data.train.channels(), data.train.height(), data.train.width()}},
      {"train_samples", data.train.size()},
      {"eval_samples", data.test.size()},
      {"normalization", {{"mean", lo.norm.mean}, {"std", lo.norm.std}}},
      {"augmentation", augmentation.empty() ? "none"
                       : timm_augment       ? augmentation + " (timm)"
                                            : augmentation},
      {"data_load", load_report_json(data.report)},
      {"device", s.device.str()},
      {"threads", threads},
      {"blas", blas.json()},
      {"host_allocator", host_allocator_stats().json()},
      {"preload", data::to_string(lo.preload)},
      {"amp_dtype", cfg.amp ? c10::toString(AutocastGuard::dtype_for(s.device.type())) : "none"},
      {"loss_scaling", cfg.amp && s.device.is_cuda()},
      {"effective_batch", cfg.batch_size * cfg.accum * (s.group ? s.group->world_size() : 1)},
      {"updates_per_epoch", updates_per_epoch},
  };
  if (s.group != nullptr) {
    const auto& env = s.group->env();
    const auto names = s.group->all_gather_strings(env.node_name);
    const std::set<std::string> machines(names.begin(), names.end());
    s.info["distributed"] = {{"backend", "gloo"},
                             {"launcher", dist::to_string(env.launcher)},
                             {"world_size", env.world_size},
                             {"local_world_size", env.local_world_size},
                             {"machines", machines.size()},
                             {"machine_names", machines},
                             {"batch_per_rank", cfg.batch_size},
                             {"grad_overlap", cfg.grad_overlap == "on"},
                             {"bucket_mib", 25}};
  }
  if (!pretrained.is_null()) s.info["pretrained"] = pretrained;
  s.info["feature_cache"] = s.trainer->feature_cache_plan().to_json();
  return s;
}

nlohmann::json base_metrics(const TrainConfig& cfg, const Session& s) {
  return {{"model", cfg.model},
          {"data", s.info.at("data")},
          {"parameters", s.info.at("parameters")},
          {"epochs", cfg.epochs},
          {"unfreeze_epoch", cfg.unfreeze_epoch},
          {"device", s.info.at("device")}};
}

energy::CarbonOptions carbon_options(const TrainConfig& cfg) {
  energy::CarbonOptions carbon;
  carbon.country_iso3 = cfg.country;
  if (cfg.carbon_intensity > 0) carbon.intensity_g_per_kwh = cfg.carbon_intensity;
  carbon.pue = cfg.pue;
  return carbon;
}

/// Trainer::fit; a stop on a signal is rethrown saying what was kept and how to continue.
std::vector<EpochStats> fit_or_explain(const TrainConfig& cfg, Session& s, const fs::path& dir,
                                       int64_t start_epoch,
                                       const std::vector<TrainerCallback*>& callbacks) {
  try {
    return s.trainer->fit(*s.train_loader, *s.eval_loader, start_epoch, callbacks);
  } catch (const Interrupted& e) {
    if (!e.report()) throw;
    if (!fs::exists(dir / RunFiles::kCheckpoint)) {
      throw Interrupted(e.signal(), fmt::format("{}: stopped before the first epoch finished, so "
                                                "nothing can be resumed; run the same command "
                                                "again to start over in {}",
                                                e.what(), dir.string()));
    }
    const auto m = nlohmann::json::parse(read_file(dir / RunFiles::kMetrics));
    throw Interrupted(
        e.signal(),
        fmt::format("{}: stopped; kept {} after epoch {} of {} (the last complete one), the "
                    "energy spent so far ({:.4g} J, {:.4g} J of it on work to be redone) is "
                    "recorded in {}",
                    e.what(), (dir / RunFiles::kCheckpoint).string(),
                    m.value("epochs_completed", int64_t{0}), cfg.epochs, m.value("energy_j", 0.0),
                    m.value("energy_lost_j", 0.0), (dir / RunFiles::kMetrics).string()),
        "continue with: eden train --resume " + dir.string());
  }
}

/// The run's energy-aware control state: fresh, or a resumed run's from run.json.
RunControl make_control(const TrainConfig& cfg, const Session& s, const nlohmann::json& info,
                        int64_t start_epoch, int64_t num_classes) {
  const auto settings = ControlSettings::from(
      cfg, num_classes, energy::resolve_carbon_intensity(carbon_options(cfg)).g_per_kwh);
  if (start_epoch > 0 && info.contains("control")) {
    return RunControl::from_json(settings, info.at("control"), start_epoch - 1);
  }
  RunControl control(settings,
                     Forecaster(s.train_loader->num_batches(), s.eval_loader->num_batches()));
  control.skip_epochs(start_epoch);  // a run begun by an EDEN without control state
  return control;
}

RunSummary execute(const TrainConfig& cfg, Session& s, const fs::path& dir, int64_t start_epoch,
                   const std::vector<std::string>& classes, const nlohmann::json& info,
                   const RunOptions& options) {
  if (!writes_run_files(s.group)) {  // another rank: trains its shard, measures, writes nothing
    EnergyRecorder energy(dir, carbon_options(cfg), s.device,
                          static_cast<double>(cfg.energy_interval_ms) / 1000.0, {}, s.group);
    EnergyController control(std::nullopt, *s.trainer, energy, s.group, nullptr);
    control.begin(start_epoch, *s.train_loader, *s.eval_loader);
    std::vector<TrainerCallback*> callbacks = options.callbacks;
    callbacks.push_back(&energy);
    callbacks.push_back(&control);
    RunSummary summary;
    summary.dir = dir;
    summary.wrote_files = false;
    summary.epochs = fit_or_explain(cfg, s, dir, start_epoch, callbacks);
    if (!summary.epochs.empty()) summary.final_eval = summary.epochs.back().eval;
    return summary;
  }
  if (cfg.unfreeze_epoch != 0 && start_epoch < cfg.epochs) {
    std::fprintf(stderr, "%s\n", s.trainer->feature_cache_plan().summary().c_str());
  }
  const energy::CarbonOptions carbon = carbon_options(cfg);
  EnergyTotals previous;
  if (start_epoch > 0 && fs::exists(dir / RunFiles::kMetrics)) {
    previous = EnergyRecorder::totals_from_metrics(
        nlohmann::json::parse(read_file(dir / RunFiles::kMetrics)));
    // A kill (-9, power loss) leaves no record but the journal: its energy was spent too.
    const double before_j = previous.lost_j;
    previous = EnergyRecorder::recover_lost(dir, previous);
    if (previous.lost_j > before_j) {
      std::fprintf(stderr,
                   "energy: %.4g J spent after the last checkpoint by the interrupted run "
                   "(energy_journal.jsonl) counted as lost work\n",
                   previous.lost_j - before_j);
    }
  }
  EnergyRecorder energy(dir, carbon, s.device, static_cast<double>(cfg.energy_interval_ms) / 1000.0,
                        previous, s.group);
  // model.safetensors metadata: what a reader needs to rebuild and feed the model.
  nlohmann::json class_list = classes;
  io::Metadata meta;
  meta["eden.architecture"] = cfg.model;
  meta["eden.num_classes"] = std::to_string(classes.size());
  meta["eden.classes"] = class_list.dump();
  meta["eden.input_shape"] = s.info.at("image_shape").dump();
  meta["eden.normalization"] = s.info.at("normalization").dump();
  meta["eden.version"] = EDEN_VERSION;
  EnergyController control(
      make_control(cfg, s, info, start_epoch, static_cast<int64_t>(classes.size())), *s.trainer,
      energy, s.group, options.progress ? stderr : nullptr);
  control.begin(start_epoch, *s.train_loader, *s.eval_loader);
  RunRecorder recorder(dir, *s.trainer, base_metrics(cfg, s), classes, &energy, std::move(meta),
                       &control, info);
  ProgressPrinter progress(cfg.epochs, stderr_is_terminal());
  progress.set_notes([&control] { return control.epoch_suffix(); },
                     [&control] { return control.epoch_lines(); });
  std::vector<TrainerCallback*> callbacks = options.callbacks;
  callbacks.push_back(&energy);
  callbacks.push_back(&control);   // decides from the epoch's energy before it is recorded
  callbacks.push_back(&recorder);  // after user hooks: they may add to the epoch's record
  if (options.progress) callbacks.push_back(&progress);
  RunSummary summary;
  summary.dir = dir;
  summary.epochs = fit_or_explain(cfg, s, dir, start_epoch, callbacks);
  if (!summary.epochs.empty()) summary.final_eval = summary.epochs.back().eval;
  summary.metrics = recorder.last_metrics();
  return summary;
}

}  // namespace

dist::ProcessGroup* process_group(const TrainConfig& cfg) {
  static std::unique_ptr<dist::ProcessGroup> group;
  static bool joined = false;
  if (!joined) {
    const dist::DistEnv env = dist::read_dist_env();
    if (env.distributed()) {
      group = dist::ProcessGroup::join(env, std::chrono::seconds(cfg.dist_timeout));
      if (env.rank == 0) std::fprintf(stderr, "data-parallel: %s\n", env.describe().c_str());
    }
    joined = true;
  }
  return group.get();
}

bool writes_run_files(const dist::ProcessGroup* group) {
  return group == nullptr || group->rank() == 0;
}

torch::Device resolve_device(const std::string& name) {
  if (name == "auto") return cuda_available() ? torch::Device(torch::kCUDA) : torch::kCPU;
  if (name == "cpu") return torch::kCPU;
  EDEN_CHECK(name == "cuda", "--device: expected cpu, cuda or auto, got '", name, "'");
  EDEN_CHECK(cuda_available(), "--device cuda: no CUDA device is usable (LibTorch ",
             torch_description(), ")",
             torch_cuda_build()
                 ? "; hint: check nvidia-smi and CUDA_VISIBLE_DEVICES, or --device cpu"
                 : "; hint: build EDEN against a CUDA LibTorch, or --device cpu");
  return torch::Device(torch::kCUDA);
}

namespace {

/// cfg.data_format with "auto" resolved from the files.
std::string resolved_format(const TrainConfig& cfg) {
  if (cfg.data_format != "auto") return cfg.data_format;
  return data::is_cifar_folder(cfg.data)   ? "cifar"
         : data::is_image_folder(cfg.data) ? "folder"
                                           : "idx";  // its reader names what is missing
}

uint64_t split_seed_of(const TrainConfig& cfg) {
  return static_cast<uint64_t>(cfg.split_seed >= 0 ? cfg.split_seed : cfg.seed);
}

}  // namespace

std::string data_source_key(const TrainConfig& cfg) {
  std::error_code ec;
  const fs::path where = fs::weakly_canonical(cfg.data, ec);
  const std::string format = resolved_format(cfg);
  std::string key = format + "|" + (ec ? cfg.data : where.string());
  if (format == "folder") {
    key += fmt::format("|size={}|val={}|split_seed={}|per_class={}|budget={}|strict={}|pinned={}",
                       cfg.image_size, cfg.val_split, split_seed_of(cfg), cfg.limit_per_class,
                       cfg.memory_budget, cfg.strict, cfg.device != "cpu" && cuda_available());
  }
  return key;
}

data::DataSplits load_source_data(const TrainConfig& cfg) {
  // The load's energy on the trainer's meters (a monitor of its own: the run's starts after).
  // Not in a data-parallel run, where machine counters would count every rank's decoding.
  std::unique_ptr<energy::EnergyMonitor> monitor;
  if (process_group(cfg) == nullptr) {
    energy::MonitorOptions mo;
    mo.sample_period_s = static_cast<double>(cfg.energy_interval_ms) / 1000.0;
    mo.keep_timeline = false;
    mo.print_warnings = false;  // the run's own monitor says them
    try {
      monitor = std::make_unique<energy::EnergyMonitor>(mo);
      monitor->begin_window("data_load");
    } catch (const std::exception&) {
      monitor.reset();  // unmetered: the load itself must not fail for it
    }
  }
  const auto t0 = std::chrono::steady_clock::now();
  const std::string format = resolved_format(cfg);
  data::DataSplits splits;
  if (format == "idx") {
    splits = data::load_mnist_folder(cfg.data);
  } else if (format == "cifar") {
    splits = data::load_cifar_folder(cfg.data);
  } else {
    data::ImageFolderOptions fo;
    fo.image_size = cfg.image_size;
    fo.val_split = cfg.val_split;
    fo.seed = split_seed_of(cfg);
    fo.limit_per_class = cfg.limit_per_class;
    fo.memory_budget_bytes = data::parse_memory_size(cfg.memory_budget);
    fo.strict = cfg.strict;
    fo.threads = static_cast<int>(cfg.threads);
    fo.pinned = cfg.device != "cpu" && cuda_available();
    fo.cache_dir = data::resolve_data_cache_dir(cfg.data_cache);
    fo.cache_store = writes_run_files(process_group(cfg));  // ranks' entries are identical
    splits = data::load_image_folder(cfg.data, fo);
  }
  if (format != "folder") {  // the IDX and CIFAR readers do not time themselves
    splits.report.load_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  }
  if (monitor != nullptr) {
    try {
      const energy::Measurement m = monitor->end_window("data_load");
      splits.report.energy_j = m.energy_j();
      splits.report.energy_source = energy::to_string(m.source());
      splits.report.energy_covers = m.covers();
    } catch (const std::exception&) {
      // a meter that failed mid-load leaves the load unmetered
    }
  }
  if (writes_run_files(process_group(cfg))) print_load_summary(cfg.data, splits);
  return splits;
}

data::DataSplits select_data(data::DataSplits splits, const TrainConfig& cfg) {
  const auto keep = parse_class_list(cfg.classes);
  if (!keep.empty()) {
    for (int64_t k : keep) {
      EDEN_CHECK(k < splits.train.num_classes(), "--classes: class ", k, " does not exist; ",
                 cfg.data, " has ", splits.train.num_classes(), " classes");
    }
    splits.train = splits.train.subset_of_classes(keep);
    splits.test = splits.test.subset_of_classes(keep);
  }
  splits.train = limit(std::move(splits.train), cfg.train_limit);
  splits.test = limit(std::move(splits.test), cfg.eval_limit);
  return splits;
}

data::DataSplits load_data(const TrainConfig& cfg) {
  return select_data(load_source_data(cfg), cfg);
}

namespace {

/// Whether the run's control decided to stop at the end of epoch `last` (an early stop).
bool stopped_at(const nlohmann::json& info, int64_t last) {
  if (!info.contains("control")) return false;
  for (const auto& d : info.at("control").value("decisions", nlohmann::json::array())) {
    if (d.value("epoch", int64_t{-1}) == last && !d.value("stop_reason", std::string()).empty())
      return true;
  }
  return false;
}

TrainConfig with_run_directory(TrainConfig cfg) {
  if (cfg.out.empty()) {
    cfg.out = (fs::path("runs") / (cfg.model + "-" + utc_timestamp("%Y%m%d-%H%M%S"))).string();
  }
  return cfg;
}

/// Rank 0's (the only process's) hold on the run directory; other ranks hold nothing.
DirectoryLock lock_run(const TrainConfig& cfg, const fs::path& dir, const char* what) {
  return writes_run_files(process_group(cfg)) ? DirectoryLock::acquire(dir, what) : DirectoryLock();
}

/// The saved config of a run directory that can be resumed (else a clear error).
TrainConfig resumable_config(const fs::path& dir) {
  EDEN_CHECK(fs::exists(dir / RunFiles::kConfig), "cannot resume ", dir, ": no ", RunFiles::kConfig,
             " (is it a run directory?)");
  EDEN_CHECK(fs::exists(dir / RunFiles::kCheckpoint), "cannot resume ", dir,
             ": no checkpoint yet (the run stopped before its first epoch ended); start it again");
  TrainConfig cfg = load_saved_config(dir / RunFiles::kConfig);
  cfg.out = dir.string();
  return cfg;
}

RunSummary train_locked(const TrainConfig& cfg, const data::DataSplits& data,
                        const RunOptions& options);
RunSummary resume_locked(const fs::path& dir, const TrainConfig& cfg, const data::DataSplits& data,
                         const RunOptions& options);

}  // namespace

RunSummary train_run(const TrainConfig& cfg_in, const RunOptions& options) {
  validate(cfg_in);
  const TrainConfig cfg = with_run_directory(cfg_in);
  process_group(cfg);  // rendezvous first: a missing rank fails fast, not after loading data
  // Locked before the data loads: a second writer is refused at once, not minutes later.
  const DirectoryLock lock = lock_run(cfg, cfg.out, "eden train");
  return train_locked(cfg, load_data(cfg), options);
}

RunSummary train_run(const TrainConfig& cfg_in, const data::DataSplits& data,
                     const RunOptions& options) {
  const TrainConfig cfg = with_run_directory(cfg_in);
  const DirectoryLock lock = lock_run(cfg, cfg.out, "eden train");
  return train_locked(cfg, data, options);
}

RunSummary resume_run(const fs::path& dir, const RunOptions& options) {
  const TrainConfig cfg = resumable_config(dir);
  const DirectoryLock lock = lock_run(cfg, dir, "eden train --resume");
  return resume_locked(dir, cfg, load_data(cfg), options);
}

RunSummary resume_run(const fs::path& dir, const data::DataSplits& data,
                      const RunOptions& options) {
  const TrainConfig cfg = resumable_config(dir);
  const DirectoryLock lock = lock_run(cfg, dir, "eden train --resume");
  return resume_locked(dir, cfg, data, options);
}

namespace {

RunSummary train_locked(const TrainConfig& cfg, const data::DataSplits& data,
                        const RunOptions& options) {
  const fs::path dir = cfg.out;
  EDEN_CHECK(!fs::exists(dir / RunFiles::kCheckpoint), "run directory ", dir,
             " already holds a run; hint: 'eden train --resume ", dir.string(),
             "' to continue it, or choose another --out");
  Session s = prepare(cfg, data, nullptr);
  if (!writes_run_files(s.group))
    return execute(cfg, s, dir, 0, data.train.classes, s.info, options);
  ensure_directory(dir);
  fs::remove(dir / RunFiles::kLog);  // a log without a checkpoint is from a run that never saved
  write_file_atomic(dir / RunFiles::kConfig, to_yaml(cfg));
  std::string classes;
  for (const auto& c : data.train.classes) classes += c + "\n";
  write_file_atomic(dir / RunFiles::kClasses, classes);
  if (data.report.format == "image-folder") {
    std::string skipped = fmt::format("# {} skipped of {} files found; path<TAB>reason\n",
                                      data.report.skipped.size(), data.report.files_seen);
    for (const auto& f : data.report.skipped) skipped += f.path + "\t" + f.reason + "\n";
    write_file_atomic(dir / RunFiles::kSkipped, skipped);
  }
  s.info["started_at"] = utc_timestamp("%Y-%m-%dT%H:%M:%SZ");
  write_file_atomic(dir / RunFiles::kRunInfo, s.info.dump(2) + "\n");
  // The profiling environment as `eden env --json` shows it, for reports about this run.
  write_file_atomic(dir / RunFiles::kEnv, energy::probe_environment().json().dump(2) + "\n");
  return execute(cfg, s, dir, 0, data.train.classes, s.info, options);
}

RunSummary resume_locked(const fs::path& dir, const TrainConfig& cfg, const data::DataSplits& data,
                         const RunOptions& options) {
  const auto info = nlohmann::json::parse(read_file(dir / RunFiles::kRunInfo));
  // The shards, the loss weighting and the effective batch follow the rank count: keep it.
  const int64_t saved_world =
      info.contains("distributed") ? info["distributed"].value("world_size", int64_t{1}) : 1;
  const dist::ProcessGroup* group = process_group(cfg);
  const int64_t world = group != nullptr ? group->world_size() : 1;
  EDEN_CHECK(saved_world == world, "cannot resume ", dir, ": it was trained on ", saved_world,
             " rank(s) and this is ", world,
             saved_world > 1
                 ? fmt::format("; hint: eden launch --nproc {} -- train --resume {} "
                               "(or as many ranks over several machines)",
                               saved_world, dir.string())
                 : fmt::format("; hint: eden train --resume {} without a launcher", dir.string()));
  Session s = prepare(cfg, data, &info);
  const int64_t last = s.trainer->load_checkpoint((dir / RunFiles::kCheckpoint).string());
  if (s.group != nullptr) {  // rank 0's restored state everywhere
    s.trainer->set_group(s.group, grad_sync(cfg));
  }
  if (writes_run_files(s.group))
    report::CsvLog::truncate_after(dir / RunFiles::kLog, "epoch", last);
  RunSummary summary;
  if (last + 1 >= cfg.epochs || stopped_at(info, last)) {
    summary.dir = dir;
    summary.wrote_files = writes_run_files(s.group);
    if (summary.wrote_files) {
      summary.metrics = nlohmann::json::parse(read_file(dir / RunFiles::kMetrics));
    }
    return summary;  // already complete
  }
  return execute(cfg, s, dir, last + 1, data.train.classes, info, options);
}

}  // namespace

nlohmann::json evaluate_run(const fs::path& dir) {
  EDEN_CHECK(fs::exists(dir / RunFiles::kConfig) && fs::exists(dir / RunFiles::kCheckpoint), dir,
             " is not a finished run directory (needs ", RunFiles::kConfig, " and ",
             RunFiles::kCheckpoint, ")");
  const TrainConfig cfg = load_saved_config(dir / RunFiles::kConfig);
  const auto info = nlohmann::json::parse(read_file(dir / RunFiles::kRunInfo));
  const auto data = load_data(cfg);
  Session s = prepare(cfg, data, &info);
  const int64_t epoch = s.trainer->load_checkpoint((dir / RunFiles::kCheckpoint).string());
  if (s.group != nullptr) s.trainer->set_group(s.group, grad_sync(cfg));
  const auto result = s.trainer->evaluate(*s.eval_loader);
  nlohmann::json j = eval::to_json(result, data.test.classes);
  j["model"] = cfg.model;
  j["checkpoint_epoch"] = epoch;
  j["evaluated_at"] = utc_timestamp("%Y-%m-%dT%H:%M:%SZ");
  if (writes_run_files(s.group)) write_file_atomic(dir / "eval.json", j.dump(2) + "\n");
  return j;
}

}  // namespace eden::train
