// The Hugging Face model card of a run (see model_card.h). Sections follow the EDEN reference
// card; a technique is described only when the run's config.yaml switched it on.
#include "eden/report/model_card.h"

#include <fmt/format.h>

#include <cmath>

#include "eden/energy/environment.h"
#include "eden/report/escape.h"
#include "eden/report/format.h"
#include "eden/report/overview.h"
#include "eden/report/pareto.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"
#include "eden/util/units.h"

namespace eden::report {
namespace {

constexpr double kBytesPerGib = 1024.0 * 1024.0 * 1024.0;
constexpr double kGramsPerKg = 1000.0;
constexpr const char* kTrainingFigure = "training_curve";
constexpr const char* kOverviewFigure = "overview";

/// A data set's Hub id and display name. Only names EDEN reads natively are mapped; others are
/// used as they are.
struct DatasetName {
  std::string hub_id;
  std::string pretty;
};

/// The data set as the Hub names it now (its datasets moved under their authors' namespaces).
DatasetName dataset_name(const std::string& data) {
  if (data == "fashion-mnist" || data == "fashion_mnist")
    return {"zalando-datasets/fashion_mnist", "Fashion-MNIST"};
  if (data == "mnist") return {"ylecun/mnist", "MNIST"};
  if (data == "cifar-10") return {"uoft-cs/cifar10", "CIFAR-10"};
  if (data == "cifar-100") return {"uoft-cs/cifar100", "CIFAR-100"};
  if (data.empty()) return {"unknown", "unknown data set"};
  return {data, data};
}

/// What the reported accuracy was measured on, when it is less than the data set's test split:
/// a class subset (config `classes`) and/or the first N test images (`eval_limit`).
struct Evaluated {
  std::string classes;     // "5,6,7,8,9", or empty: every class
  int64_t eval_limit = 0;  // 0: the whole split
  bool subset() const { return !classes.empty() || eval_limit > 0; }
  /// "classes 5,6,7,8,9 only; the first 512 test images", or "".
  std::string text() const {
    std::string t = classes.empty() ? "" : "classes " + classes + " only";
    if (eval_limit > 0) {
      t += fmt::format("{}the first {} test images", t.empty() ? "" : "; ", eval_limit);
    }
    return t;
  }
};

Evaluated evaluated(const RunRecord& run) {
  Evaluated e;
  e.classes = run.config_text("classes");
  if (e.classes == "none" || e.classes == "all") e.classes.clear();
  e.eval_limit = static_cast<int64_t>(run.config_number("eval_limit", 0.0));
  return e;
}

std::string json_string(const nlohmann::json& j, const std::string& key) {
  if (!j.is_object() || !j.contains(key)) return "";
  return j.at(key).is_string() ? j.at(key).get<std::string>() : j.at(key).dump();
}

double json_double(const nlohmann::json& j, const std::string& key, double fallback = 0.0) {
  if (!j.is_object() || !j.contains(key) || !j.at(key).is_number()) return fallback;
  return j.at(key).get<double>();
}

/// run.json number `key` with thousands separators ("60,000"); "" when absent.
std::string info_count(const RunRecord& run, const std::string& key) {
  if (!run.run_info.is_object() || !run.run_info.contains(key)) return "";
  const auto& v = run.run_info.at(key);
  return v.is_number() ? format_thousands(v.get<double>()) : run.info_text(key);
}

std::string plural(int64_t n, const char* one, const char* many) {
  return fmt::format("{} {}", format_thousands(static_cast<double>(n)), n == 1 ? one : many);
}

/// The environment the card shows and where it comes from.
struct CardEnvironment {
  nlohmann::json env;  // null when unknown
  bool from_run = false;
};

CardEnvironment card_environment(const RunRecord& run, const CardOptions& options) {
  if (run.has_env()) return {run.env, true};
  return {options.fallback_env.is_object() ? options.fallback_env : nlohmann::json(), false};
}

std::string cpu_text(const nlohmann::json& env) {
  if (!env.is_object() || !env.contains("cpu") || !env.at("cpu").is_object()) return "unknown";
  const auto& cpu = env.at("cpu");
  std::string text = energy::display_cpu_name(json_string(cpu, "model"));
  const double sockets = json_double(cpu, "sockets", 1.0);
  if (sockets > 1) text = fmt::format("{:.0f} x {}", sockets, text);
  text += fmt::format(" ({:.0f} cores / {:.0f} threads", json_double(cpu, "cores"),
                      json_double(cpu, "threads"));
  const double mhz = json_double(cpu, "clock_mhz");
  if (mhz > 0) text += fmt::format(" @ {:.2f} GHz", mhz / 1000.0);
  return text + ")";
}

std::vector<std::string> gpu_texts(const nlohmann::json& env) {
  std::vector<std::string> out;
  if (!env.is_object() || !env.contains("gpus") || !env.at("gpus").is_array()) return out;
  for (const auto& gpu : env.at("gpus")) {
    std::vector<std::string> facts;
    const double memory = json_double(gpu, "memory_bytes");
    const double tdp = json_double(gpu, "default_power_limit_w");
    if (memory > 0) facts.push_back(fmt::format("{:.0f} GB VRAM", memory / kBytesPerGib));
    if (tdp > 0) facts.push_back(fmt::format("{:.0f} W TDP", tdp));
    std::string text = json_string(gpu, "name");
    if (text.empty()) text = "unnamed GPU";
    if (!facts.empty()) {
      text += " (";
      for (std::size_t i = 0; i < facts.size(); ++i) text += (i ? ", " : "") + facts[i];
      text += ")";
    }
    out.push_back(text);
  }
  return out;
}

bool trained_on_gpu(const RunRecord& run) {
  const std::string device = run.info_text("device");
  return device.rfind("cuda", 0) == 0;
}

/// "2 ranks on 1 machine" for a data-parallel run (run.json "distributed"), "" for one process.
std::string data_parallel_text(const RunRecord& run) {
  if (!run.run_info.is_object() || !run.run_info.contains("distributed")) return "";
  const auto& d = run.run_info.at("distributed");
  const auto ranks = static_cast<int64_t>(json_double(d, "world_size"));
  const auto machines = static_cast<int64_t>(json_double(d, "machines"));
  return fmt::format("{} on {}", plural(ranks, "rank", "ranks"),
                     plural(machines, "machine", "machines"));
}

std::string hardware_used(const RunRecord& run, const CardEnvironment& ce) {
  if (!ce.env.is_object()) return "unknown";
  const std::string parallel = data_parallel_text(run);
  // env.json describes rank 0's machine only.
  const std::string suffix =
      parallel.empty() ? "" : "; data-parallel, " + parallel + " (rank 0's machine shown)";
  if (trained_on_gpu(run)) {
    const auto gpus = gpu_texts(ce.env);
    if (!gpus.empty()) {
      return fmt::format("{} x {}{}", gpus.size(), json_string(ce.env.at("gpus")[0], "name"),
                         suffix);
    }
  }
  const std::string cpu = ce.env.contains("cpu") ? json_string(ce.env.at("cpu"), "model") : "";
  const std::string threads = run.info_text("threads");
  return fmt::format("{} CPU{}{}", energy::display_cpu_name(cpu),
                     threads.empty() ? "" : fmt::format(", {} thread(s)", threads), suffix);
}

std::string pretrained_source(const RunRecord& run) {
  for (const auto& key : pretrained_config_keys()) {
    const std::string value = run.config_text(key);
    if (!value.empty() && value != "none" && value != "false") return value;
  }
  return "";
}

std::string training_type(const RunRecord& run) {
  return pretrained_source(run).empty() ? "pre-training" : "fine-tuning";
}

std::string location(const RunRecord& run) {
  if (!run.carbon.country_name.empty()) return run.carbon.country_name;
  if (!run.carbon.country_iso3.empty()) return run.carbon.country_iso3;
  return "unknown (world-average grid carbon intensity applied)";
}

std::string components_text(const RunRecord& run) {
  std::string out;
  for (const auto& c : run.energy_components) {
    out += fmt::format("{}{}/{} {}", out.empty() ? "" : ", ", c.device, c.domain, c.source);
  }
  return out.empty() ? "no components recorded" : out;
}

std::string carbon_text(const RunRecord& run) {
  std::string text = fmt::format("{} gCO₂e/kWh", format_fixed(run.carbon.intensity_g_per_kwh, 0));
  if (!run.carbon.reference.empty()) text += " (" + run.carbon.reference + ")";
  return text + fmt::format(", PUE {}", format_fixed(run.carbon.pue, 2));
}

/// Joules for a sentence: "0.772 J", "118 J", "1,234 J".
std::string joules_text(double j) {
  return j >= 1000 ? format_energy_j(j) + " J" : fmt::format("{:.3g} J", j);
}

/// The Phase 2 paragraph's sentence on the frozen-feature cache: what the cached frozen epochs
/// cost against the one that filled the cache (log.csv), or why the frozen epochs ran the
/// backbone every time (run.json feature_cache).
std::string feature_cache_text(const RunRecord& run) {
  const EpochRecord* filled = nullptr;
  std::vector<const EpochRecord*> cached;
  for (const auto& e : run.log) {
    if (e.phase != "frozen") continue;
    if (e.train_features == "stored") filled = &e;  // a resumed run fills again: the latest
    if (e.train_features == "cached") cached.push_back(&e);
  }
  const nlohmann::json fc = run.run_info.is_object()
                                ? run.run_info.value("feature_cache", nlohmann::json::object())
                                : nlohmann::json::object();
  const std::string reason = json_string(fc, "reason");
  if (filled == nullptr || cached.empty()) {
    if (reason.empty() || fc.value("train", false)) return "";
    return fmt::format(" The frozen epochs ran the backbone every epoch (no feature cache: {}).",
                       markdown_text(reason));
  }
  double j = 0.0, s = 0.0, saved_j = 0.0;
  for (const auto* e : cached) {
    j += e->energy_j;
    s += e->epoch_time_s;
    saved_j += filled->energy_j - e->energy_j;
  }
  j /= static_cast<double>(cached.size());
  s /= static_cast<double>(cached.size());
  const nlohmann::json store = fc.value("train_store", nlohmann::json::object());
  const std::string dtype = json_string(store, "dtype");
  const std::string size =
      store.contains("bytes") ? fmt::format(" ({}{})", bytes_text(store.value("bytes", int64_t{0})),
                                            dtype.empty() ? "" : ", " + markdown_text(dtype))
                              : "";
  const bool energy = std::isfinite(j) && std::isfinite(filled->energy_j) && filled->energy_j > 0;
  const std::string cost =
      energy ? fmt::format("{} and {} each against {} and {} for epoch {} ({:.2g}x its energy)",
                           joules_text(j), format_duration(s), joules_text(filled->energy_j),
                           format_duration(filled->epoch_time_s), filled->epoch + 1,
                           j / filled->energy_j)
             : fmt::format("{} each against {} for epoch {}", format_duration(s),
                           format_duration(filled->epoch_time_s), filled->epoch + 1);
  return fmt::format(
      " Frozen-feature cache: epoch {} ran the backbone and kept its pooled features{}; {} later "
      "frozen {} trained the head from them at {}{}{}.",
      filled->epoch + 1, size, cached.size(), cached.size() == 1 ? "epoch" : "epochs", cost,
      energy
          ? fmt::format(", {} less than had {} run the backbone (estimated: epoch {}'s energy "
                        "for each)",
                        joules_text(saved_j), cached.size() == 1 ? "it" : "they", filled->epoch + 1)
          : "",
      reason.empty() ? "" : " (" + markdown_text(reason) + ", --frozen-cache on)");
}

std::string year_of(const RunRecord& run) {
  for (const std::string& stamp :
       {run.info_text("started_at"), json_string(run.metrics, "updated_at")}) {
    if (stamp.size() >= 4 && std::isdigit(static_cast<unsigned char>(stamp[0])))
      return stamp.substr(0, 4);
  }
  return "n.d.";
}

std::string default_title(const RunRecord& run) {
  return fmt::format("EDEN-{}-{}", run.model, dataset_name(run.data).pretty);
}

std::string yaml_number(double v) {
  return std::isfinite(v) ? fmt::format("{}", v) : "null";
}

/// The E2AM phases of the run: names of those applied (for the headline) and their Markdown.
struct Phases {
  std::vector<std::string> applied;  // short names, e.g. "Progressive Unfreezing"
  std::string markdown;
  std::vector<std::string> not_applied;  // "AMP (amp: false)"
};

Phases e2am_phases(const RunRecord& run) {
  Phases p;
  const std::string preload = run.config_text("preload", run.info_text("preload"));
  const std::string where = preload == "device" ? "device memory" : "host RAM";
  const std::string train_n = info_count(run, "train_samples");
  const std::string eval_n = info_count(run, "eval_samples");
  p.markdown += fmt::format(
      "- **Phase 1 – Zero-Overhead Initialization:** the data set{} was decoded once before "
      "training and kept in {} (preload: {}); every batch is cut from memory, so no epoch reads "
      "the disk.\n",
      train_n.empty() ? "" : fmt::format(" ({} training and {} test images)", train_n, eval_n),
      where, markdown_text(preload.empty() ? "host" : preload));

  const auto unfreeze = run.frozen_epochs();
  const bool auto_unfreeze = run.config_text("unfreeze_epoch") == "auto";
  if (unfreeze > 0) {
    p.applied.push_back("Progressive Unfreezing");
    const std::string source = pretrained_source(run);
    const std::string init =
        source.empty()
            ? " No pretrained weights are named in config.yaml, so the frozen backbone kept its "
              "random initialisation during those epochs."
            : fmt::format(" The backbone started from pretrained weights ({}).",
                          markdown_text(source));
    const bool unfrozen = unfreeze < run.epochs_completed;
    std::string chosen;
    if (auto_unfreeze) {
      const auto& u = run.metrics.value("unfreeze", nlohmann::json::object());
      const std::string reason = u.value("reason", std::string());
      chosen = fmt::format(
          " The number of frozen epochs was chosen during the run from measured accuracy per "
          "joule (unfreeze_epoch: auto){}.",
          reason.empty() ? ""
          : unfrozen     ? ": " + markdown_text(reason)
                         : " (the run ended before the unfreeze it had decided: " +
                           markdown_text(reason) + ")");
    }
    p.markdown += fmt::format(
        "- **Phase 2 – Progressive Unfreezing:** backbone frozen for the first {} (only the "
        "classification head trained, BatchNorm in {} mode{}){}.{}{}{}\n",
        unfreeze == 1 ? std::string("epoch") : fmt::format("{} epochs", unfreeze),
        markdown_text(run.config_text("frozen_bn", "eval")),
        run.config_text("frozen_dropout", "train") == "eval" ? ", any dropout in it off" : "",
        unfrozen
            ? fmt::format("; from epoch {} on all layers trained with the learning rate "
                          "multiplied by {}",
                          unfreeze + 1, markdown_text(run.config_text("unfreeze_lr_decay", "?")))
            : "; the backbone was never unfrozen",
        chosen, feature_cache_text(run), init);
  } else {
    p.not_applied.push_back("progressive unfreezing (unfreeze_epoch: 0)");
  }

  const auto accum = static_cast<int64_t>(run.config_number("accum", 1));
  if (accum > 1) {
    p.applied.push_back("Gradient Accumulation");
    const auto batch = static_cast<int64_t>(run.config_number("batch_size", 0));
    p.markdown += fmt::format(
        "- **Gradient accumulation:** {} micro-batches of {} per optimizer step (effective batch "
        "{}), a large batch without its memory peak.\n",
        accum, batch, accum * batch);
  } else {
    p.not_applied.push_back("gradient accumulation (accum: 1)");
  }

  if (run.config_flag("amp")) {
    p.applied.push_back("AMP");
    const std::string dtype = run.info_text("amp_dtype");
    const bool scaling = run.run_info.is_object() && run.run_info.value("loss_scaling", false);
    p.markdown += fmt::format(
        "- **AMP (Automatic Mixed Precision):** autocast to {} on {}{}, halving the memory traffic "
        "of the autocast operations.\n",
        markdown_text(dtype.empty() ? "reduced precision" : dtype),
        markdown_text(run.info_text("device").empty() ? "the training device"
                                                      : run.info_text("device")),
        scaling ? " with dynamic loss scaling" : "");
  } else {
    p.not_applied.push_back("AMP (amp: false)");
  }

  const double l1 = run.config_number("l1", 0.0);
  if (l1 > 0) {
    p.applied.push_back("L1 Sparsity");
    p.markdown += fmt::format(
        "- **Sparse Regularisation:** L1 penalty λ·Σ|W| with λ = {} on the trainable weights{}.\n",
        markdown_text(run.config_text("l1")),
        run.sparsity >= 0
            ? fmt::format("; at the end {}% of the weights (of its convolution and linear "
                          "layers) are below {} in magnitude (near zero; none is pruned)",
                          format_fixed(run.sparsity * 100, 2),
                          markdown_text(fmt::format(
                              "{:g}", run.metrics.is_object()
                                          ? run.metrics.value("sparsity_threshold", 1e-3)
                                          : 1e-3)))
            : "");
  } else {
    p.not_applied.push_back("L1 sparse regularisation (l1: 0)");
  }
  return p;
}

std::string technique_headline(const Phases& p) {
  if (p.applied.empty()) {
    return "Phase 1 – Zero-Overhead Initialization only (no optional E2AM technique was enabled)";
  }
  std::string names;
  for (std::size_t i = 0; i < p.applied.size(); ++i) names += (i ? " + " : "") + p.applied[i];
  return "E2AM: " + names;
}

std::string environment_section(const RunRecord& run, const CardEnvironment& ce) {
  std::vector<std::pair<std::string, std::string>> rows;
  const auto gpus = gpu_texts(ce.env);
  if (!ce.env.is_object()) {
    rows.emplace_back("GPU", "unknown");
  } else if (gpus.empty()) {
    rows.emplace_back("GPU", "none");
  } else {
    for (std::size_t i = 0; i < gpus.size(); ++i) {
      rows.emplace_back(gpus.size() > 1 ? fmt::format("GPU {}", i) : "GPU", gpus[i]);
    }
  }
  rows.emplace_back("CPU", cpu_text(ce.env));
  const double ram = json_double(ce.env, "ram_bytes");
  rows.emplace_back("RAM",
                    ram > 0 ? fmt::format("{:.2f} GB System RAM", ram / kBytesPerGib) : "unknown");
  const std::string os = json_string(ce.env, "os");
  rows.emplace_back("OS", os.empty() ? "unknown" : os);
  const std::string device = run.info_text("device");
  const std::string threads = run.info_text("threads");
  rows.emplace_back("Training device",
                    (device.empty() ? "unknown" : device) +
                        (threads.empty() ? "" : fmt::format(", {} CPU thread(s)", threads)) +
                        (data_parallel_text(run).empty() ? "" : " per rank"));
  if (const std::string parallel = data_parallel_text(run); !parallel.empty()) {
    const auto& d = run.run_info.at("distributed");
    std::string text = parallel + fmt::format(" ({}, launched as {}", json_string(d, "backend"),
                                              json_string(d, "launcher"));
    if (d.contains("machine_names") && d.at("machine_names").is_array()) {
      std::string names;
      for (const auto& n : d.at("machine_names")) {
        names += (names.empty() ? "" : ", ") + (n.is_string() ? n.get<std::string>() : n.dump());
      }
      text += "; machines " + names;
    }
    rows.emplace_back("Data parallel", text + ")");
  }
  std::string data = dataset_name(run.data).pretty;
  const std::string train_n = info_count(run, "train_samples");
  if (!train_n.empty()) {
    data +=
        fmt::format(" — {} training / {} test images", train_n, info_count(run, "eval_samples"));
  }
  const std::string classes = run.info_text("num_classes");
  if (!classes.empty()) data += fmt::format(" – {} classes", classes);
  if (run.run_info.is_object() && run.run_info.contains("image_shape") &&
      run.run_info.at("image_shape").is_array() && run.run_info.at("image_shape").size() == 3) {
    const auto& s = run.run_info.at("image_shape");
    data += fmt::format(" ({}×{}×{})", s[0].dump(), s[1].dump(), s[2].dump());
  }
  rows.emplace_back("Dataset", data);
  rows.emplace_back("Energy meters", components_text(run));
  const std::string eden = run.info_text("eden_version");
  const std::string torch = run.info_text("torch_version");
  if (!eden.empty() || !torch.empty()) {
    rows.emplace_back("Software", fmt::format("EDEN {}, LibTorch {}", eden.empty() ? "?" : eden,
                                              torch.empty() ? "?" : torch));
  }
  std::string out = "| Component | Specification |\n|---|---|\n";
  for (const auto& [k, v] : rows)
    out += fmt::format("| {} | {} |\n", markdown_text(k), markdown_text(v));
  if (!ce.from_run) {
    out += ce.env.is_object()
               ? "\n> ⚠ This run directory has no env.json, so the hardware above is the machine "
                 "that generated this card, which may not be the one that trained the model.\n"
               : "\n> ⚠ This run directory has no env.json: the hardware is unknown.\n";
  }
  return out;
}

/// Training Statistics rows of the energy-aware control: stop reason, energy-to-accuracy,
/// budgets, auto unfreezing, the forecast after epoch 1 and its error ("" for older runs).
std::string control_rows(const RunRecord& run) {
  const auto& m = run.metrics;
  if (!m.is_object()) return "";
  std::string out;
  const double pue = run.carbon.pue > 0 ? run.carbon.pue : 1.0;
  if (!run.stop_reason.empty()) {
    out += fmt::format("| Stop Reason | `{}`: {} |\n", identifier(run.stop_reason, "unknown"),
                       markdown_text(run.stop_detail));
  }
  if (m.contains("target_accuracy") && m.at("target_accuracy").is_number()) {
    const double target = m.at("target_accuracy").get<double>();
    const auto& eta = m.value("energy_to_accuracy_j", nlohmann::json());
    const auto& tta = m.value("time_to_accuracy_s", nlohmann::json());
    out += fmt::format(
        "| Energy / Time to Accuracy (top-1 ≥ {}) | {} |\n", format_fixed(target, 4),
        eta.is_number() && tta.is_number()
            ? fmt::format("{} J, {} (reached at epoch {})", format_energy_j(eta.get<double>()),
                          format_duration(tta.get<double>()),
                          m.value("target_reached_epoch", int64_t{0}))
            : std::string("not reached"));
  }
  if (m.contains("budgets") && m.at("budgets").is_object()) {
    const auto& b = m.at("budgets");
    std::vector<std::string> parts;
    if (b.contains("energy_j")) {
      const double budget = b.at("energy_j").get<double>();
      parts.push_back(fmt::format("energy {} kWh, used {} kWh ({}%)",
                                  format_quantity(budget / 3.6e6),
                                  format_quantity(run.energy_j * pue / 3.6e6),
                                  format_fixed(100.0 * run.energy_j * pue / budget, 1)));
    }
    if (b.contains("co2_kg")) {
      const double budget = b.at("co2_kg").get<double>();
      parts.push_back(fmt::format("CO₂ {} kg, used {} kg ({}%)", format_quantity(budget),
                                  format_quantity(run.co2_kg),
                                  format_fixed(100.0 * run.co2_kg / budget, 1)));
    }
    if (b.contains("time_s")) {
      const double budget = b.at("time_s").get<double>();
      const double used = m.value("energy_duration_s", run.duration_s);
      parts.push_back(fmt::format("time {}, used {} ({}%)", format_duration(budget),
                                  format_duration(used), format_fixed(100.0 * used / budget, 1)));
    }
    std::string text;
    for (const auto& p : parts) text += (text.empty() ? "" : "; ") + p;
    out += fmt::format("| Budgets | {} |\n", markdown_text(text));
  }
  if (run.config_text("unfreeze_epoch") == "auto") {
    const auto& u = m.value("unfreeze", nlohmann::json::object());
    const int64_t frozen = run.frozen_epochs();
    const std::string reason = u.value("reason", std::string());
    std::string text;
    if (frozen < run.epochs_completed) {
      text = fmt::format("after {} frozen epoch{}, from epoch {} — {}", frozen,
                         frozen == 1 ? "" : "s", frozen + 1, markdown_text(reason));
    } else if (!reason.empty()) {
      text = fmt::format(
          "never: the run ended after {} frozen epochs, before the unfreeze it "
          "had decided — {}",
          frozen, markdown_text(reason));
    } else {
      text = "never: every epoch's frozen gain per joule stayed above a full epoch's expected one";
    }
    out += fmt::format("| Unfreezing (auto) | {} |\n", text);
  }
  if (m.contains("forecast_after_epoch_1") && m.at("forecast_after_epoch_1").is_object()) {
    const auto& f = m.at("forecast_after_epoch_1");
    std::string text = fmt::format(
        "{} J ({} kWh), {} for {}", format_energy_j(f.value("total_j", 0.0)),
        format_quantity(f.value("total_kwh", 0.0)), format_duration(f.value("total_s", 0.0)),
        plural(f.value("epochs", int64_t{0}), "epoch", "epochs"));
    if (f.contains("error_j")) {
      text += fmt::format(
          "; for the {} run it predicted {} J against {} J measured: "
          "error {}% (time {}%)",
          plural(run.epochs_completed, "epoch", "epochs"),
          format_energy_j(f.value("predicted_j", 0.0)), format_energy_j(f.value("actual_j", 0.0)),
          format_signed(100.0 * f.value("error_j", 0.0), 1),
          format_signed(100.0 * f.value("error_s", 0.0), 1));
    }
    text += "; method: " + f.value("method", std::string("?"));
    out += fmt::format("| Forecast after Epoch 1 | {} |\n", markdown_text(text));
  }
  return out;
}

std::string statistics_section(const RunRecord& run) {
  const bool measured = run.energy_source == "measured";
  std::string out = "| Metric | Value |\n|---|---|\n";
  out += fmt::format("| Final Accuracy | {} |\n", format_accuracy(run.accuracy));
  if (std::isfinite(run.macro_f1))
    out += fmt::format("| Macro-F1 | {} |\n", format_fixed(run.macro_f1, 4));
  // Top-5 says nothing with 5 classes or fewer (every model scores 1).
  const std::string classes = run.info_text("num_classes");
  const bool top5_informative =
      classes.empty() ? run.classes.empty() || run.classes.size() > 5 : std::stod(classes) > 5;
  if (std::isfinite(run.top5) && top5_informative)
    out += fmt::format("| Top-5 Accuracy | {} |\n", format_fixed(run.top5, 4));
  // energy_j is what the meters saw; energy_kwh (and CO2) include the PUE, as in emissions.csv.
  const double pue = run.carbon.pue > 0 ? run.carbon.pue : 1.0;
  out += fmt::format(
      "| Total Energy Consumed | {} J ({} kWh{}){} |\n", format_energy_j(run.energy_j),
      format_quantity(run.energy_j / 3.6e6),
      pue == 1.0 ? ""
                 : fmt::format("; {} kWh with PUE {}", format_quantity(run.energy_kwh),
                               format_fixed(pue, 2)),
      measured ? ", measured" : ", " + markdown_text(run.energy_source) + " (not all measured)");
  if (run.metrics.contains("upstream_energy_j") &&
      run.metrics.at("upstream_energy_j").is_number()) {
    out += fmt::format("| Upstream Energy (producing the pretrained backbone) | {} J |\n",
                       format_thousands(run.metrics.at("upstream_energy_j").get<double>()));
  }
  const nlohmann::json load = run.run_info.is_object()
                                  ? run.run_info.value("data_load", nlohmann::json::object())
                                  : nlohmann::json::object();
  if (run.metrics.contains("experiment_data_preparation") &&
      run.metrics.at("experiment_data_preparation").is_object()) {
    // `eden run`: the data was decoded once for all stages; that cost is the experiment's.
    const nlohmann::json p = run.metrics.at("experiment_data_preparation");
    out += fmt::format(
        "| Data Preparation (the experiment's, not in the total above) | {} load(s) for {} "
        "stage(s): {}, {} J ({}) |\n",
        p.value("loads", int64_t{0}), p.value("stages", int64_t{0}),
        format_duration(p.value("load_s", 0.0)), format_thousands(p.value("energy_j", 0.0), 1),
        markdown_text(p.value("energy_source", std::string("none"))));
  } else if (load.contains("load_s") && load.contains("energy_j") &&
             load.at("energy_j").is_number()) {
    // `eden train`: its own load, metered apart from training (run.json data_load).
    const std::string cache = load.value("cache", std::string("off"));
    out += fmt::format(
        "| Data Preparation (not in the total above) | {} loading the data, {} J ({}){} |\n",
        format_duration(load.value("load_s", 0.0)),
        format_thousands(load.at("energy_j").get<double>(), 1),
        markdown_text(load.value("energy_source", std::string("none"))),
        cache == "off"   ? std::string()
        : cache == "hit" ? "; read from the decoded cache, not decoded"
                         : "; decoded cache: " + markdown_text(cache));
  }
  out += fmt::format("| Training Time | {} |\n", format_duration(run.duration_s));
  out += fmt::format("| Epochs | {} of {} |\n", run.epochs_completed, run.epochs);
  out += control_rows(run);
  out += fmt::format("| Estimated CO₂ | {} kg CO₂e ({}) |\n", format_quantity(run.co2_kg),
                     markdown_text(carbon_text(run)));
  out +=
      fmt::format("| Parameters | {} |\n", format_thousands(static_cast<double>(run.parameters)));
  out += "| Training Log | [log.csv](log.csv) (per epoch), [metrics.json](metrics.json) |\n";
  return out;
}

std::string figures_section(const CardFigures& figures) {
  std::string out = "## 📊 Training Visualizations\n\n### Accuracy & Energy over Training\n\n";
  out += "Green = accuracy (left axis) · Orange dashed = cumulative energy (right axis)\n\n";
  if (figures.training_curve) {
    out += fmt::format("![Accuracy & Energy over Training]({0}.png)\n\n([SVG]({0}.svg))\n\n",
                       kTrainingFigure);
  } else {
    out += fmt::format("_Figure not drawn: {}_\n\n", markdown_text(figures.note));
  }
  out +=
      "### Project-Wide Overview\n\nAll EDEN runs of the project: training energy (log axis) "
      "vs accuracy, the baseline marked, the Pareto front drawn\n\n";
  if (figures.overview) {
    out +=
        fmt::format("![Project-Wide Overview]({0}.png)\n\n([SVG]({0}.svg))\n\n", kOverviewFigure);
  } else {
    out += fmt::format("_Figure not drawn: {}_\n\n", markdown_text(figures.note));
  }
  return out;
}

void check_hub_id(const std::string& hub_id) {
  if (hub_id.empty()) return;
  const auto slash = hub_id.find('/');
  bool ok = slash != std::string::npos && slash > 0 && slash + 1 < hub_id.size() &&
            hub_id.find('/', slash + 1) == std::string::npos;
  for (char c : hub_id) {
    ok = ok && (std::isalnum(static_cast<unsigned char>(c)) || c == '-' || c == '_' || c == '.' ||
                c == '/');
  }
  EDEN_CHECK(ok, "--hub-id '", hub_id,
             "' is not a Hugging Face repository id; hint: use user/model-name "
             "(letters, digits, '-', '_', '.')");
}

/// The study over seeds when there is one of more than one seed; null otherwise (one seed's
/// card is exactly the single run's).
const RepeatedGreenDelta* repeated(const CardOptions& options) {
  return options.study && options.study->seeds() > 1 ? &*options.study : nullptr;
}

GreenDelta card_delta(const RunRecord& run, const RunRecord& baseline, const CardOptions& o) {
  if (const auto* study = repeated(o)) return study->mean;
  return compare_runs(run, baseline, o.delta);
}

/// The run's seed as its config.yaml states it.
std::string card_seed(const RunRecord& run) {
  return run.config_text("seed", "?");
}

}  // namespace

const std::vector<std::string>& pretrained_config_keys() {
  static const std::vector<std::string> kKeys = {"pretrained", "init_from", "pretrained_weights"};
  return kKeys;
}

std::string model_card_front_matter(const RunRecord& run, const RunRecord& baseline,
                                    const CardOptions& options) {
  check_hub_id(options.hub_id);
  const CardEnvironment ce = card_environment(run, options);
  const DatasetName data = dataset_name(run.data);
  const GreenDelta delta = card_delta(run, baseline, options);
  const std::string title = options.title.empty() ? default_title(run) : options.title;
  const std::string name = options.hub_id.empty() ? title : options.hub_id;
  std::string y;
  y += "library_name: eden\n";
  y += "pipeline_tag: image-classification\n";
  y += "tags:\n- eden\n- e2am\n- green-ai\n- energy-efficiency\n- image-classification\n";
  y += fmt::format("- {}\n", yaml_string(run.model));
  if (!options.license.empty()) y += fmt::format("license: {}\n", yaml_string(options.license));
  if (!options.base_model.empty())
    y += fmt::format("base_model: {}\n", yaml_string(options.base_model));
  y += fmt::format("datasets:\n- {}\n", yaml_string(data.hub_id));
  y += "metrics:\n- accuracy\n";
  if (std::isfinite(run.macro_f1)) y += "- f1\n";
  y += "co2_eq_emissions:\n";
  y += fmt::format("  emissions: {}\n", yaml_number(run.co2_kg * kGramsPerKg));
  y += fmt::format("  source: {}\n",
                   yaml_string(fmt::format(
                       "EDEN {} energy meters ({}: {}); CO2 = energy x PUE x grid intensity ({})",
                       run.info_text("eden_version").empty() ? "" : run.info_text("eden_version"),
                       run.energy_source, components_text(run), carbon_text(run))));
  y += fmt::format("  training_type: {}\n", yaml_string(training_type(run)));
  y += fmt::format("  geographical_location: {}\n", yaml_string(location(run)));
  y += fmt::format("  hardware_used: {}\n", yaml_string(hardware_used(run, ce)));
  y += "model-index:\n";
  y += fmt::format("- name: {}\n", yaml_string(name));
  y +=
      "  results:\n  - task:\n      type: image-classification\n      name: Image Classification\n";
  // A class subset or a limited test set is not the data set's benchmark: the name and the
  // args say so, so the Hub does not show the score as one on the full test split.
  const Evaluated ev = evaluated(run);
  y += fmt::format("    dataset:\n      type: {}\n      name: {}\n      split: test\n",
                   yaml_string(data.hub_id),
                   yaml_string(ev.subset() ? data.pretty + " (" + ev.text() + ")" : data.pretty));
  if (ev.subset()) {
    y += "      args:\n";
    if (!ev.classes.empty()) y += fmt::format("        classes: {}\n", yaml_string(ev.classes));
    if (ev.eval_limit > 0) y += fmt::format("        test_images: {}\n", ev.eval_limit);
  }
  y += "    metrics:\n";
  y += fmt::format("    - type: accuracy\n      value: {}\n      name: Accuracy\n",
                   yaml_number(run.accuracy));
  if (std::isfinite(run.macro_f1)) {
    y += fmt::format("    - type: f1\n      value: {}\n      name: F1 Score (macro)\n",
                     yaml_number(run.macro_f1));
  }
  y += "eden:\n";
  y += fmt::format("  run: {}\n", yaml_string(run.name));
  y += fmt::format("  model: {}\n", yaml_string(run.model));
  y += fmt::format("  energy_j: {}\n", yaml_number(run.energy_j));
  y += fmt::format("  energy_kwh: {}\n", yaml_number(run.energy_kwh));
  y += fmt::format("  energy_source: {}\n", yaml_string(run.energy_source));
  y += fmt::format("  co2_kg: {}\n", yaml_number(run.co2_kg));
  y += fmt::format("  baseline_run: {}\n", yaml_string(baseline.name));
  y += fmt::format("  baseline_model: {}\n", yaml_string(baseline.model));
  y += fmt::format("  eag: {}\n", delta.eag_meaningful ? yaml_number(delta.eag) : "null");
  y += fmt::format("  tradeoff: {}\n", yaml_string(to_string(delta.tradeoff)));
  if (const auto* study = repeated(options)) {
    auto interval = [](const Interval& i) {
      return i.finite ? fmt::format("[{}, {}]", yaml_number(i.low), yaml_number(i.high))
                      : std::string("null");
    };
    y += fmt::format("  seeds: {}\n", study->seeds());
    y += fmt::format("  interval_method: {}\n",
                     yaml_string("paired " + study->bootstrap.method() + ", 95%"));
    y += fmt::format("  accuracy_mean: {}\n", yaml_number(study->model_accuracy.estimate));
    y += fmt::format("  accuracy_interval: {}\n", interval(study->model_accuracy));
    y += fmt::format("  accuracy_delta_pp_interval: {}\n", interval(study->accuracy_delta_pp));
    y += fmt::format("  energy_j_mean: {}\n", yaml_number(study->model_energy_j.estimate));
    y += fmt::format("  energy_delta_j_interval: {}\n", interval(study->energy_delta_j));
    y += fmt::format("  eag_interval: {}\n",
                     delta.eag_meaningful ? interval(study->eag) : std::string("null"));
  }
  return y;
}

std::string render_model_card(const RunRecord& run, const RunRecord& baseline,
                              const CardOptions& options, const CardFigures& figures) {
  const std::string front = model_card_front_matter(run, baseline, options);
  const CardEnvironment ce = card_environment(run, options);
  const GreenDelta delta = card_delta(run, baseline, options);
  const RepeatedGreenDelta* study = repeated(options);
  const DatasetName data = dataset_name(run.data);
  const Phases phases = e2am_phases(run);
  const std::string title = options.title.empty() ? default_title(run) : options.title;

  std::string out = "---\n" + front + "---\n\n";
  out += fmt::format("# {}\n\n", markdown_text(title));
  out += fmt::format(
      "**Primary KPI: EAG (Energy-to-Accuracy Gradient) = {} ΔAcc/ΔJoule** against the baseline "
      "{} (run {})\n\n",
      delta.eag_meaningful ? format_scientific(delta.eag, 5) : "n/a",
      markdown_text(delta.baseline.label), markdown_text(baseline.name));
  if (study != nullptr) {
    out += fmt::format(
        "Over {} seeds, paired with the baseline's by seed: EAG {} (95% interval, {}); this "
        "card's weights are seed {}'s (run {}).\n\n",
        study->seeds(),
        delta.eag_meaningful && study->eag.finite
            ? fmt::format("[{}, {}]", format_scientific(study->eag.low, 3),
                          format_scientific(study->eag.high, 3))
            : std::string("interval undefined"),
        "paired " + study->bootstrap.method(), card_seed(run), markdown_text(run.name));
    out += "> " + describe(*study, true) + "\n\n";
  } else {
    out += "> " + describe(delta, true) + "\n\n";
  }
  if (run.stopped_early()) {
    out += fmt::format("> Stopped after {} of {} epochs on purpose (`{}`): {}.\n\n",
                       run.epochs_completed, run.epochs, identifier(run.stop_reason, "unknown"),
                       markdown_text(run.stop_detail));
  }
  if (!run.complete()) {
    out += fmt::format(
        "> ⚠ This run stopped after {} of {} epochs; the card reports the state after epoch "
        "{}.\n\n",
        run.epochs_completed, run.epochs, run.epochs_completed);
  }

  out += "## Abstract\n\n";
  out +=
      "This model is part of Project EDEN (Energy-Driven Evolution of Networks), implementing the "
      "E2AM (Energy Efficient Advanced Model) Framework. The goal is to shift AI benchmarking from "
      "pure accuracy to Green SOTA — maximising predictive power per Joule consumed. ";
  const std::string parallel = data_parallel_text(run);
  out += fmt::format(
      "This card describes a {} ({} parameters) trained for {} on {}{}; its energy "
      "and CO₂ cover every epoch of the run, training and evaluation{}.\n\n",
      markdown_text(run.model), format_thousands(static_cast<double>(run.parameters)),
      plural(run.epochs_completed, "epoch", "epochs"), markdown_text(data.pretty),
      parallel.empty() ? "" : ", data-parallel on " + parallel,
      parallel.empty() ? ""
                       : ", summed over the ranks with each machine's CPU and DRAM counters "
                         "read once");
  out += fmt::format("**Applied Technique:** {}\n\n", markdown_text(technique_headline(phases)));

  out += "## Profiling Environment\n\n" + environment_section(run, ce) + "\n";

  out += "## 🟢 Green Delta Table\n\n";
  if (study != nullptr) {
    out += fmt::format(
        "Comparing this model's configuration over {} seeds against the reference baseline {} "
        "trained with the same seeds\n\n",
        study->seeds(), markdown_text(delta.baseline.label));
    out += to_markdown(*study) + "\n";
  } else {
    out += fmt::format("Comparing this model against the reference baseline {} (run {})\n\n",
                       markdown_text(delta.baseline.label), markdown_text(baseline.name));
    out += to_markdown(delta) + "\n";
  }

  out += "## E2AM Algorithm — Applied Phases\n\n" + phases.markdown;
  if (!phases.not_applied.empty()) {
    std::string off;
    for (std::size_t i = 0; i < phases.not_applied.size(); ++i) {
      off += (i ? ", " : "") + markdown_text(phases.not_applied[i]);
    }
    out += fmt::format("\nNot applied in this run: {}.\n", off);
  }
  out += fmt::format(
      "\nOptimizer {}, peak learning rate {}, {} schedule, batch size {}{}.\n\n",
      markdown_text(run.config_text("optimizer", "?")), markdown_text(run.config_text("lr", "?")),
      markdown_text(run.config_text("schedule", "?")),
      markdown_text(run.config_text("batch_size", "?")),
      parallel.empty()
          ? ""
          : fmt::format(" per rank (effective batch {})", info_count(run, "effective_batch")));

  out += "## Training Statistics\n\n" + statistics_section(run) + "\n";
  out += figures_section(figures);

  if (!run.per_class_accuracy.empty()) {
    out += "## Per-Class Accuracy\n\n| Class | Accuracy |\n|---|---|\n";
    for (const auto& [cls, acc] : run.per_class_accuracy) {
      out += fmt::format("| {} | {} |\n", markdown_text(cls), format_fixed(acc, 4));
    }
    out += "\n";
  }

  out += "## Evaluation results\n\n";
  const std::string eval_n = info_count(run, "eval_samples");
  const Evaluated ev = evaluated(run);
  std::string split = eval_n.empty() ? "test split" : fmt::format("test split, {} images", eval_n);
  if (ev.subset()) split += ": " + ev.text();
  out += fmt::format("- Accuracy on {} ({}): {} (self-reported)\n", markdown_text(data.pretty),
                     split, format_fixed(run.accuracy, 4));
  if (std::isfinite(run.macro_f1)) {
    out += fmt::format("- F1 Score (macro) on {} ({}): {} (self-reported)\n",
                       markdown_text(data.pretty), split, format_fixed(run.macro_f1, 4));
  }
  if (ev.subset()) {
    out += fmt::format(
        "\n> These scores are on {} of the {} test split, not on the whole of it: they are not "
        "comparable with results on the full benchmark.\n",
        markdown_text(ev.text()), markdown_text(data.pretty));
  }
  if (const std::string source = pretrained_source(run); !source.empty()) {
    out += fmt::format("\nBase model: {}.\n",
                       options.base_model.empty()
                           ? "the backbone in " + markdown_text(source) +
                                 " (local weights, not a Hub model; set base_model with "
                                 "`eden card --base-model` when they are published)"
                           : markdown_text(options.base_model));
  }
  out += "\n## Cite This Research\n\n```bibtex\n";
  out += fmt::format("@misc{{eden_{}_{},\n", identifier(run.model, "model"),
                     identifier(year_of(run), "nd"));
  out += "  title = {Project EDEN: Energy-Driven Evolution of Networks},\n";
  out += "  author = {EDEN Research Team},\n";
  out += fmt::format("  year = {{{}}},\n", identifier(year_of(run), "n.d."));
  out += fmt::format("  note = {{Model card of run {} ({})}}", identifier(run.name),
                     identifier(run.model, "model"));
  if (!options.hub_id.empty()) {
    out += fmt::format(",\n  url = {{https://huggingface.co/{}}}", options.hub_id);
  }
  out += "\n}\n```\n\n";
  out += fmt::format(
      "_Generated by `eden card` from the files of run directory {} (metrics.json, log.csv, "
      "config.yaml, run.json{}) and baseline run {}._\n",
      markdown_text(run.name), ce.from_run ? ", env.json" : "", markdown_text(baseline.name));
  return out;
}

CardFiles write_model_card(const RunRecord& run, const RunRecord& baseline,
                           const CardOptions& options) {
  check_hub_id(options.hub_id);
  CardFiles files;
  CardFigures figures;
  if (!options.draw_figures) {
    figures.note = "figures were not requested (--no-figures)";
  } else if (figures_available(&figures.note)) {
    files.training_curve = plot_training_curve(training_curve(run), run.dir / kTrainingFigure);
    figures.training_curve = true;
    OverviewOptions oo;
    oo.baseline = baseline.dir;
    oo.delta = options.delta;
    oo.max_depth = options.project_dir.empty() ? 1 : oo.max_depth;  // siblings only by default
    const fs::path project = options.project_dir.empty()
                                 ? fs::absolute(run.dir).lexically_normal().parent_path()
                                 : options.project_dir;
    Overview ov = build_overview(project, oo);
    // The card's own run belongs in its overview even when it lies outside the project folder.
    bool has_run = false;
    for (const auto& r : ov.rows) {
      has_run = has_run || fs::weakly_canonical(r.run.dir) == fs::weakly_canonical(run.dir);
    }
    std::vector<OverviewPoint> points = overview_points(ov);
    if (!has_run) {
      std::vector<EnergyAccuracy> ea;
      for (const auto& p : points) ea.push_back({p.energy_j, p.accuracy});
      points.push_back({run.name + " · " + run.model, run.energy_j, run.accuracy, false, false});
      ea.push_back({run.energy_j, run.accuracy});
      const auto front = pareto_front(ea);
      for (std::size_t i = 0; i < points.size(); ++i) points[i].pareto = front[i];
    }
    try {
      files.overview =
          plot_overview(points,
                        fmt::format("{} run(s) in {}: training energy vs accuracy", points.size(),
                                    fs::absolute(project).lexically_normal().filename().string()),
                        run.dir / kOverviewFigure);
      figures.overview = true;
    } catch (const Error& e) {
      figures.note = e.what();  // e.g. no run has energy: the card still stands
    }
  }
  files.note = figures.note;
  files.readme = run.dir / "README.md";
  write_file_atomic(files.readme, render_model_card(run, baseline, options, figures));
  return files;
}

}  // namespace eden::report
