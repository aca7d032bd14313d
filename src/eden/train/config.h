// TrainConfig: every setting of a training run. One field table drives the YAML file, the CLI
// flags (`--batch-size` <-> `batch_size:`) and the config.yaml saved in the run directory.
#pragma once

#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace eden::train {

/// unfreeze_epoch value of `--unfreeze-epoch auto`: decided from measured accuracy per joule.
constexpr int64_t kUnfreezeAuto = -1;

struct TrainConfig {
  // what and where
  std::string model = "small_cnn";
  std::string data = "/usr/share/datasets/fashion-mnist";
  std::string out;                // run directory; empty = runs/<model>-<timestamp>
  std::string pretrained;         // weights to start from (.safetensors or torch.save file)
  bool pretrained_strict = true;  // refuse missing/unexpected tensors (the head may differ)
  bool pretrained_head = true;    // false: keep a fresh head (fine-tuning on other classes)
  // optimisation
  int64_t epochs = 3;
  int64_t batch_size = 128;
  int64_t accum = 1;  // micro-batches per optimizer step
  std::string optimizer = "adamw";
  double lr = 2e-3;
  double momentum = 0.9;  // SGD only
  bool nesterov = false;  // SGD only
  double weight_decay = 0.01;
  double label_smoothing = 0.0;
  std::string schedule = "cosine";  // cosine | step | constant
  double warmup_epochs = 0.0;
  double min_lr_ratio = 0.0;  // cosine floor, as a fraction of lr
  int64_t step_epochs = 1;    // step schedule: decay every step_epochs
  double step_gamma = 0.1;
  // E2AM
  int64_t unfreeze_epoch = 0;  // backbone frozen for epochs [0, unfreeze_epoch); kUnfreezeAuto
  double unfreeze_lr_decay = 0.1;
  std::string frozen_bn = "eval";       // eval | train: BatchNorm mode of the frozen backbone
  std::string frozen_dropout = "eval";  // eval | train: dropout in the frozen backbone
  std::string frozen_cache = "auto";    // auto | on | off: frozen epochs train on cached features
  bool amp = false;
  bool channels_last = true;  // NHWC activations and conv weights (faster oneDNN convs on CPU)
  double l1 = 0.0;            // lambda of the L1 penalty on trainable weights
  // energy-aware control (docs/energy-aware.md)
  int64_t max_frozen_epochs =
      0;  // unfreeze auto: cap on frozen epochs; 0 = half the epochs, rounded up
  double full_epoch_gain = 0.7;    // unfreeze auto: expected share of the remaining error per
                                   // full epoch
  std::string energy_budget;       // e.g. "2kWh"; "" = none
  std::string co2_budget;          // e.g. "0.5kg"
  std::string time_budget;         // e.g. "3h"
  double target_accuracy = 0.0;    // stop once eval top-1 reaches it; 0 = none
  std::string early_stop = "off";  // off | plateau
  int64_t patience = 2;            // plateau: epochs without enough gain
  double min_gain_per_kj = 0.0;    // plateau: top-1 gain per kJ below which the run stops
  // data pipeline
  std::string data_format = "auto";    // auto | idx | cifar | folder
  int64_t image_size = 224;            // image folders: stored side (Resize + CenterCrop)
  double val_split = 0.1;              // image folders without train/val: stratified hold-out
  int64_t split_seed = -1;             // of that hold-out draw; -1 = seed
  int64_t limit_per_class = 0;         // image folders: first N files of each class (0 = all)
  std::string memory_budget = "auto";  // image folders: decoded pixels above this stay encoded
  std::string data_cache = "auto";     // image folders: auto | off | DIR of the decoded cache
  bool strict = false;                 // image folders: any skipped file is an error
  std::string augment = "auto";        // auto | none | timm (random-resized-crop + flip)
  std::string normalize = "auto";      // auto | dataset | imagenet | unit
  std::string preload = "host";        // host | device
  int64_t crop_padding = 0;
  bool hflip = false;
  std::string classes;      // keep only these class indices, e.g. "0,1,2,3,4" ("" = all)
  int64_t train_limit = 0;  // use only the first N training samples (0 = all)
  int64_t eval_limit = 0;
  int64_t eval_batch_size = 512;
  // energy and carbon
  std::string country;               // ISO 3166 alpha-3 for the grid's carbon intensity; "" = world
  double carbon_intensity = 0.0;     // gCO2eq/kWh, overrides country; 0 = not set
  double pue = 1.0;                  // data-centre power usage effectiveness
  int64_t energy_interval_ms = 100;  // energy sampler period
  // runtime
  int64_t seed = 0;
  int64_t threads = 0;                     // 0 = every core this process may use
  std::string host_allocator = "caching";  // caching | system: CPU tensor memory
  std::string device = "auto";             // cpu | cuda | auto
  // data-parallel (under a launcher's environment; ignored in one process)
  int64_t dist_timeout = 60;        // s
  std::string grad_overlap = "on";  // on | off
};

/// One setting: its YAML key (flag = "--" + key with '-' for '_'), help text, and typed access
/// through strings.
struct ConfigField {
  std::string key;
  std::string help;
  std::string kind;  // "int", "float", "bool", "string" or "a|b|c" (a choice)
  std::function<void(TrainConfig&, const std::string&)> set;  // parses and validates
  std::function<std::string(const TrainConfig&)> get;
  std::string flag() const;
};

/// "0,3,5" -> {0, 3, 5}; throws eden::Error for a bad or repeated index.
std::vector<int64_t> parse_class_list(const std::string& text);

/// Every field, in the order they are saved.
const std::vector<ConfigField>& config_fields();

/// Sets field `key` from text; throws eden::Error naming the key and the bad value.
void set_config_value(TrainConfig& cfg, const std::string& key, const std::string& value);

/// Reads a YAML mapping of field keys over `base`. Unknown keys are errors.
TrainConfig load_config(const std::filesystem::path& path, TrainConfig base = {});
TrainConfig parse_config_yaml(const std::string& text, const std::string& what,
                              TrainConfig base = {});

/// A run directory's saved config.yaml: keys added since that run began take the value it trained
/// with (frozen_dropout: train), not today's default.
TrainConfig load_saved_config(const std::filesystem::path& path);

/// YAML text of every field (plus optional extra "key: value" comment lines).
std::string to_yaml(const TrainConfig& cfg);

/// Checks cross-field consistency (e.g. unfreeze_epoch <= epochs); throws eden::Error.
void validate(const TrainConfig& cfg);

}  // namespace eden::train
