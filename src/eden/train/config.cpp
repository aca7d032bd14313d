// The TrainConfig field table and its YAML round trip.
#include "eden/train/config.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <charconv>
#include <cmath>
#include <sstream>

#include "eden/data/image_folder.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"
#include "eden/util/units.h"
#include "eden/util/yaml_keys.h"

namespace eden::train {
namespace {

std::string flag_of(const std::string& key) {
  std::string f = "--" + key;
  std::replace(f.begin(), f.end(), '_', '-');
  return f;
}

int64_t parse_int(const std::string& key, const std::string& text, int64_t lo, int64_t hi) {
  int64_t v = 0;
  const char* end = text.data() + text.size();
  auto [p, ec] = std::from_chars(text.data(), end, v);
  EDEN_CHECK(ec == std::errc() && p == end && !text.empty(), flag_of(key),
             ": expected an integer, got '", text, "'");
  EDEN_CHECK(v >= lo && v <= hi, flag_of(key), ": ", v, " is out of range [", lo, ", ", hi, "]");
  return v;
}

double parse_float(const std::string& key, const std::string& text, double lo, double hi) {
  double v = 0;
  size_t used = 0;
  try {
    v = std::stod(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  EDEN_CHECK(used == text.size() && !text.empty() && std::isfinite(v), flag_of(key),
             ": expected a number, got '", text, "'");
  EDEN_CHECK(v >= lo && v <= hi, flag_of(key), ": ", text, " is out of range [", lo, ", ", hi, "]");
  return v;
}

bool parse_bool(const std::string& key, const std::string& text) {
  std::string t = text;
  std::transform(t.begin(), t.end(), t.begin(), ::tolower);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  EDEN_CHECK(false, flag_of(key), ": expected true or false, got '", text, "'");
  return false;
}

std::string parse_choice(const std::string& key, const std::string& text,
                         const std::vector<std::string>& choices) {
  for (const auto& c : choices) {
    if (c == text) return text;
  }
  std::string all;
  for (const auto& c : choices) all += (all.empty() ? "" : ", ") + c;
  EDEN_CHECK(false, flag_of(key), ": expected one of {", all, "}, got '", text, "'");
  return text;
}

}  // namespace

std::vector<int64_t> parse_class_list(const std::string& text) {
  std::vector<int64_t> out;
  if (text.empty()) return out;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) {
    const auto v = parse_int("classes", item, 0, 1 << 20);
    EDEN_CHECK(std::find(out.begin(), out.end(), v) == out.end(), "--classes: class ", v,
               " listed twice");
    out.push_back(v);
  }
  return out;
}

namespace {

std::string format_float(double v) {
  return fmt::format("{}", v);
}

constexpr int64_t kIntMax = int64_t{1} << 40;

// Field builders: bind a member pointer, a range and a help text.
ConfigField int_field(const char* key, int64_t TrainConfig::*m, int64_t lo, int64_t hi,
                      const char* help) {
  return {key, help, "int",
          [=](TrainConfig& c, const std::string& s) { c.*m = parse_int(key, s, lo, hi); },
          [=](const TrainConfig& c) { return std::to_string(c.*m); }};
}
ConfigField float_field(const char* key, double TrainConfig::*m, double lo, double hi,
                        const char* help) {
  return {key, help, "float",
          [=](TrainConfig& c, const std::string& s) { c.*m = parse_float(key, s, lo, hi); },
          [=](const TrainConfig& c) { return format_float(c.*m); }};
}
ConfigField bool_field(const char* key, bool TrainConfig::*m, const char* help) {
  return {key, help, "bool",
          [=](TrainConfig& c, const std::string& s) { c.*m = parse_bool(key, s); },
          [=](const TrainConfig& c) { return std::string(c.*m ? "true" : "false"); }};
}
ConfigField string_field(const char* key, std::string TrainConfig::*m, const char* help) {
  return {key, help, "string", [=](TrainConfig& c, const std::string& s) { c.*m = s; },
          [=](const TrainConfig& c) { return c.*m; }};
}
ConfigField choice_field(const char* key, std::string TrainConfig::*m,
                         std::vector<std::string> choices, const char* help) {
  std::string kind;
  for (const auto& c : choices) kind += (kind.empty() ? "" : "|") + c;
  return {key, help, kind,
          [=](TrainConfig& c, const std::string& s) { c.*m = parse_choice(key, s, choices); },
          [=](const TrainConfig& c) { return c.*m; }};
}

std::vector<ConfigField> make_fields() {
  using C = TrainConfig;
  const double inf = HUGE_VAL;
  return {
      string_field("model", &C::model, "model architecture (see 'eden models')"),
      string_field("data", &C::data,
                   "data folder: MNIST/Fashion-MNIST IDX files, CIFAR-10/100 binaries, or "
                   "class folders of JPEG/PNG images (see --data-format)"),
      string_field("out", &C::out, "run directory (default runs/<model>-<time>)"),
      string_field("pretrained", &C::pretrained,
                   "initial weights: .safetensors (timm, EDEN) or torch.save file (torchvision, "
                   "cvnets); a head of another class count is re-initialised"),
      bool_field("pretrained_strict", &C::pretrained_strict,
                 "fail when pretrained tensors are missing or unexpected"),
      bool_field("pretrained_head", &C::pretrained_head,
                 "also load the head when its shape matches (false: fresh head for a new task)"),
      int_field("epochs", &C::epochs, 1, 100000, "number of epochs"),
      int_field("batch_size", &C::batch_size, 1, 1 << 20, "micro-batch size"),
      int_field("accum", &C::accum, 1, 1 << 16,
                "gradient accumulation: micro-batches per optimizer step"),
      choice_field("optimizer", &C::optimizer, {"adamw", "sgd"}, "optimizer"),
      float_field("lr", &C::lr, 1e-12, 100.0, "peak learning rate"),
      float_field("momentum", &C::momentum, 0.0, 0.999999, "SGD momentum"),
      bool_field("nesterov", &C::nesterov, "SGD Nesterov momentum"),
      float_field("weight_decay", &C::weight_decay, 0.0, 10.0,
                  "weight decay (not on biases and norm parameters)"),
      float_field("label_smoothing", &C::label_smoothing, 0.0, 0.999, "label smoothing"),
      choice_field("schedule", &C::schedule, {"cosine", "step", "constant"},
                   "learning-rate schedule (per optimizer step)"),
      float_field("warmup_epochs", &C::warmup_epochs, 0.0, 100000.0, "linear warm-up length"),
      float_field("min_lr_ratio", &C::min_lr_ratio, 0.0, 1.0, "cosine floor as a fraction of lr"),
      int_field("step_epochs", &C::step_epochs, 1, 100000, "step schedule: epochs per decay"),
      float_field("step_gamma", &C::step_gamma, 0.0, 1.0, "step schedule: decay factor"),
      {"unfreeze_epoch",
       "progressive unfreezing: backbone frozen for epochs [0, E); 0 = off; auto = unfreeze "
       "when a frozen epoch's accuracy gain per joule falls below a full epoch's expected one",
       "int|auto",
       [](C& c, const std::string& s) {
         c.unfreeze_epoch = s == "auto" ? kUnfreezeAuto : parse_int("unfreeze_epoch", s, 0, 100000);
       },
       [](const C& c) {
         return c.unfreeze_epoch == kUnfreezeAuto ? std::string("auto")
                                                  : std::to_string(c.unfreeze_epoch);
       }},
      int_field("max_frozen_epochs", &C::max_frozen_epochs, 0, 100000,
                "--unfreeze-epoch auto: most frozen epochs; 0 = half the epochs, rounded up"),
      float_field("full_epoch_gain", &C::full_epoch_gain, 1e-6, 1.0,
                  "--unfreeze-epoch auto: share of the remaining error (1 - top-1) one full "
                  "epoch is expected to remove"),
      float_field("unfreeze_lr_decay", &C::unfreeze_lr_decay, 1e-9, 1.0,
                  "learning-rate factor applied from the unfreeze epoch on"),
      choice_field("frozen_bn", &C::frozen_bn, {"eval", "train"},
                   "BatchNorm mode of the frozen backbone"),
      choice_field("frozen_dropout", &C::frozen_dropout, {"eval", "train"},
                   "dropout in the frozen backbone: eval = off (inference mode, as Keras), train "
                   "= active (as runs whose config.yaml has no frozen_dropout trained)"),
      choice_field("frozen_cache", &C::frozen_cache, {"auto", "on", "off"},
                   "frozen epochs after the first train the head on the backbone's cached "
                   "features; auto = where the results are unchanged, on = also with random "
                   "augmentation (off for the frozen epochs) or backbone dropout (off too)"),
      bool_field("amp", &C::amp,
                 "mixed precision: bf16 autocast on CPU, fp16 + loss scaling on CUDA"),
      bool_field("channels_last", &C::channels_last,
                 "channels-last (NHWC) memory format for activations and conv weights"),
      float_field("l1", &C::l1, 0.0, inf, "L1 penalty lambda on trainable weights"),
      {"energy_budget",
       "stop before an epoch that the forecast says would take the run's energy (with PUE) "
       "over this, e.g. 2kWh or 500kJ; empty = none",
       "string",
       [](C& c, const std::string& s) {
         if (!s.empty()) parse_energy_j(s, "--energy-budget");
         c.energy_budget = s;
       },
       [](const C& c) { return c.energy_budget; }},
      {"co2_budget", "the same for the run's CO2, e.g. 0.5kg or 200g; empty = none", "string",
       [](C& c, const std::string& s) {
         if (!s.empty()) parse_mass_kg(s, "--co2-budget");
         c.co2_budget = s;
       },
       [](const C& c) { return c.co2_budget; }},
      {"time_budget",
       "the same for the run's training time (epochs, probe, lost work), e.g. 3h or 1h30m; "
       "empty = none",
       "string",
       [](C& c, const std::string& s) {
         if (!s.empty()) parse_duration_s(s, "--time-budget");
         c.time_budget = s;
       },
       [](const C& c) { return c.time_budget; }},
      float_field("target_accuracy", &C::target_accuracy, 0.0, 1.0,
                  "stop at the first epoch whose eval top-1 reaches this (records energy- and "
                  "time-to-accuracy); 0 = none"),
      choice_field("early_stop", &C::early_stop, {"off", "plateau"},
                   "plateau = stop when the last --patience full epochs gained less than "
                   "--min-gain-per-kj top-1 per kJ"),
      int_field("patience", &C::patience, 1, 100000, "--early-stop plateau: epochs to look back"),
      float_field("min_gain_per_kj", &C::min_gain_per_kj, 0.0, 1.0,
                  "--early-stop plateau: top-1 gain per kJ below which the run stops (0 = stop "
                  "only when the best accuracy did not improve)"),
      choice_field("data_format", &C::data_format, {"auto", "idx", "cifar", "folder"},
                   "data set layout; auto = IDX files, CIFAR binaries, else class folders"),
      int_field("image_size", &C::image_size, 8, 4096,
                "image folders: stored side after Resize(S) + CenterCrop(S)"),
      float_field("val_split", &C::val_split, 0.0, 0.95,
                  "image folders without train/val sub-trees: stratified hold-out fraction"),
      int_field("split_seed", &C::split_seed, -1, kIntMax,
                "image folders: seed of the --val-split draw; -1 = --seed (an experiment's "
                "repeats keep their first seed's, so every repeat is scored on the same images)"),
      int_field("limit_per_class", &C::limit_per_class, 0, kIntMax,
                "image folders: first N files (sorted) of each class folder; 0 = all"),
      {"memory_budget",
       "image folders: RAM for decoded pixels (e.g. 48G); above it files stay encoded in RAM "
       "and are decoded per batch; auto = 60% of available RAM",
       "string",
       [](C& c, const std::string& s) {
         data::parse_memory_size(s);
         c.memory_budget = s;
       },
       [](const C& c) { return c.memory_budget; }},
      {"data_cache",
       "image folders: where the decoded images are kept for the next run (docs/data-cache.md); "
       "auto = $EDEN_DATA_CACHE, else $XDG_CACHE_HOME/eden/data, else ~/.cache/eden/data; "
       "off = decode every time; or a folder",
       "string",
       [](C& c, const std::string& s) {
         EDEN_CHECK(!s.empty(), "--data-cache: expected auto, off or a folder, got ''");
         c.data_cache = s;
       },
       [](const C& c) { return c.data_cache; }},
      bool_field("strict", &C::strict, "image folders: any skipped file or class is an error"),
      choice_field("augment", &C::augment, {"auto", "none", "timm"},
                   "timm = random-resized-crop + horizontal flip; auto = timm for image folders, "
                   "none otherwise (crop_padding and hflip still apply)"),
      choice_field("normalize", &C::normalize, {"auto", "dataset", "imagenet", "unit"},
                   "input normalisation; auto = the model's own for image folders (else "
                   "ImageNet mean/std), measured per data set otherwise; unit = pixels / 255"),
      choice_field("preload", &C::preload, {"host", "device"},
                   "keep the decoded data set in host RAM or on the device"),
      int_field("crop_padding", &C::crop_padding, 0, 64, "random crop after zero padding; 0 = off"),
      bool_field("hflip", &C::hflip, "random horizontal flip"),
      {"classes",
       "train and evaluate on these class indices only, relabelled in order (e.g. 0,1,2)", "string",
       [](C& c, const std::string& s) {
         parse_class_list(s);
         c.classes = s;
       },
       [](const C& c) { return c.classes; }},
      int_field("train_limit", &C::train_limit, 0, kIntMax, "use the first N training images"),
      int_field("eval_limit", &C::eval_limit, 0, kIntMax, "use the first N test images"),
      int_field("eval_batch_size", &C::eval_batch_size, 1, 1 << 20, "evaluation batch size"),
      string_field("country", &C::country,
                   "ISO 3166 alpha-3 country whose grid carbon intensity applies (default: world)"),
      float_field("carbon_intensity", &C::carbon_intensity, 0.0, 5000.0,
                  "grid carbon intensity, gCO2eq/kWh (overrides --country; 0 = unset)"),
      float_field("pue", &C::pue, 1.0, 10.0, "data-centre power usage effectiveness"),
      int_field("energy_interval_ms", &C::energy_interval_ms, 1, 60000,
                "energy sampler period, ms"),
      int_field("seed", &C::seed, 0, kIntMax, "random seed (init, shuffling, augmentation)"),
      int_field("threads", &C::threads, 0, 4096,
                "CPU threads; 0 = every usable core (split evenly between a machine's ranks)"),
      choice_field("host_allocator", &C::host_allocator, {"caching", "system"},
                   "CPU tensor memory: caching keeps freed blocks for the next step (no "
                   "mmap/page faults per tensor); system = glibc malloc"),
      choice_field("device", &C::device, {"auto", "cpu", "cuda"}, "training device"),
      int_field("dist_timeout", &C::dist_timeout, 1, 86400,
                "data-parallel runs: seconds to wait for the other ranks (rendezvous, each "
                "collective) before failing"),
      choice_field("grad_overlap", &C::grad_overlap, {"on", "off"},
                   "data-parallel runs: start gradient allreduces during backward"),
  };
}

}  // namespace

std::string ConfigField::flag() const {
  return flag_of(key);
}

const std::vector<ConfigField>& config_fields() {
  static const std::vector<ConfigField> kFields = make_fields();
  return kFields;
}

void set_config_value(TrainConfig& cfg, const std::string& key, const std::string& value) {
  for (const auto& f : config_fields()) {
    if (f.key == key) {
      f.set(cfg, value);
      return;
    }
  }
  EDEN_CHECK(false, "unknown setting '", key, "'");
}

TrainConfig parse_config_yaml(const std::string& text, const std::string& what, TrainConfig base) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    EDEN_CHECK(false, what, ": invalid YAML: ", e.what());
  }
  if (root.IsNull()) return base;
  EDEN_CHECK(root.IsMap(), what, ": expected a mapping of settings (key: value)");
  check_unique_keys(root, what);
  for (const auto& kv : root) {
    const auto key = kv.first.as<std::string>();
    const auto& fields = config_fields();
    const bool known = std::any_of(fields.begin(), fields.end(),
                                   [&](const ConfigField& f) { return f.key == key; });
    EDEN_CHECK(known, what, ": unknown setting '", key, "'");
    EDEN_CHECK(kv.second.IsScalar(), what, ": setting '", key, "' must be a single value");
    try {
      set_config_value(base, key, kv.second.as<std::string>());
    } catch (const Error& e) {
      throw Error(std::string(what) + ": " + e.what());
    }
  }
  return base;
}

TrainConfig load_config(const std::filesystem::path& path, TrainConfig base) {
  EDEN_CHECK(std::filesystem::exists(path), "config file ", path, " does not exist");
  return parse_config_yaml(read_file(path), path.string(), std::move(base));
}

std::string to_yaml(const TrainConfig& cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const auto& f : config_fields()) {
    out << YAML::Key << f.key << YAML::Value;
    const std::string v = f.get(cfg);
    if (f.kind == "string" || f.kind.find('|') != std::string::npos) {
      out << YAML::DoubleQuoted << v;
    } else {
      out << v;
    }
  }
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

TrainConfig load_saved_config(const std::filesystem::path& path) {
  TrainConfig legacy;
  legacy.frozen_dropout = "train";  // before the key existed the frozen backbone's dropout ran
  return load_config(path, legacy);
}

void validate(const TrainConfig& cfg) {
  EDEN_CHECK(cfg.unfreeze_epoch == kUnfreezeAuto || cfg.unfreeze_epoch <= cfg.epochs,
             "--unfreeze-epoch ", cfg.unfreeze_epoch, " is beyond --epochs ", cfg.epochs,
             "; the backbone would never train");
  EDEN_CHECK(cfg.warmup_epochs <= cfg.epochs, "--warmup-epochs ", cfg.warmup_epochs,
             " exceeds --epochs ", cfg.epochs);
  EDEN_CHECK(!cfg.model.empty(), "--model must not be empty");
  EDEN_CHECK(cfg.unfreeze_epoch == kUnfreezeAuto || cfg.max_frozen_epochs == 0,
             "--max-frozen-epochs ", cfg.max_frozen_epochs,
             " applies to --unfreeze-epoch auto only; the run has --unfreeze-epoch ",
             cfg.unfreeze_epoch);
  EDEN_CHECK(cfg.early_stop == "plateau" || cfg.min_gain_per_kj == 0.0,
             "--min-gain-per-kj needs --early-stop plateau");
  EDEN_CHECK(cfg.frozen_cache != "on" || cfg.frozen_bn == "eval",
             "--frozen-cache on needs --frozen-bn eval: a BatchNorm that trains changes the "
             "backbone's features at every step; hint: --frozen-cache auto or --frozen-bn eval");
  EDEN_CHECK(cfg.country.empty() || cfg.carbon_intensity == 0.0,
             "--country and --carbon-intensity both set; give one of them");
}

}  // namespace eden::train
