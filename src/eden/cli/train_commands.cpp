// `eden train`, `eden eval`, `eden run`: parse flags into a TrainConfig, call eden::train.
#include <fmt/format.h>

#include <map>
#include <memory>

#include "eden/cli/commands.h"
#include "eden/pipeline/experiment.h"
#include "eden/train/config.h"
#include "eden/train/run.h"
#include "eden/util/check.h"
#include "eden/util/interrupt.h"

namespace eden::cli {
namespace {

struct TrainArgs {
  std::string config_file;
  std::string resume_dir;
  std::map<std::string, std::string> values;  // field key -> text given on the command line
  std::vector<std::pair<const train::ConfigField*, CLI::Option*>> options;
};

/// Adds one --flag per TrainConfig field; values are parsed later so a YAML file can sit
/// underneath them (defaults < --config file < flags).
void add_config_flags(CLI::App* sub, TrainArgs& args) {
  for (const auto& field : train::config_fields()) {
    auto& slot = args.values[field.key];
    CLI::Option* opt = nullptr;
    const std::string help = field.help + " [" + field.kind + "]";
    if (field.kind == "bool") {
      opt = sub->add_flag(field.flag(), slot, help);
    } else {
      opt = sub->add_option(field.flag(), slot, help);
    }
    opt->group("Training settings (also as YAML keys)");
    args.options.emplace_back(&field, opt);
  }
}

train::TrainConfig resolve_config(const TrainArgs& args, train::TrainConfig base) {
  train::TrainConfig cfg = args.config_file.empty()
                               ? std::move(base)
                               : train::load_config(args.config_file, std::move(base));
  for (const auto& [field, opt] : args.options) {
    if (opt->count() == 0) continue;
    std::string value = args.values.at(field->key);
    if (field->kind == "bool" && value.empty()) value = "true";
    field->set(cfg, value);
  }
  train::validate(cfg);
  return cfg;
}

void print_summary(const train::RunSummary& s) {
  if (!s.wrote_files) return;  // a data-parallel rank other than 0: rank 0 reports
  if (s.metrics.is_null() || s.metrics.empty()) {
    fmt::print("run {} is already complete\n", s.dir.string());
    return;
  }
  fmt::print("run directory: {}\n", s.dir.string());
  fmt::print("eval_top1 {:.4f}  eval_top5 {:.4f}  eval_f1 {:.4f}  ({} epochs, {:.1f}s)\n",
             s.metrics.value("eval_top1", 0.0), s.metrics.value("eval_top5", 0.0),
             s.metrics.value("eval_f1", 0.0), s.metrics.value("epochs_completed", 0),
             s.metrics.value("duration_s", 0.0));
  if (s.metrics.contains("energy_j")) {
    fmt::print("energy {:.1f} J ({:.3g} kWh, {}), CO2 {:.3g} kg\n",
               s.metrics.value("energy_j", 0.0), s.metrics.value("energy_kwh", 0.0),
               s.metrics.value("energy_source", std::string("?")), s.metrics.value("co2_kg", 0.0));
  }
  const std::string reason = s.metrics.value("stop_reason", std::string());
  if (!reason.empty() && reason != "epochs") {
    fmt::print("stopped early ({}): {}\n", reason, s.metrics.value("stop_detail", std::string()));
  }
  if (s.metrics.contains("forecast_after_epoch_1")) {
    const auto& f = s.metrics["forecast_after_epoch_1"];
    if (f.contains("error_j")) {
      fmt::print(
          "forecast after epoch 1: {:.4g} J for the epochs run, {:+.1f}% off the measured "
          "total\n",
          f.value("predicted_j", 0.0), 100.0 * f.value("error_j", 0.0));
    }
  }
}

}  // namespace

void register_train_command(CLI::App& root, int& exit_code) {
  auto* sub = root.add_subcommand("train", "train a model with the E2AM recipe");
  auto args = std::make_shared<TrainArgs>();
  sub->add_option("--config", args->config_file, "YAML file of settings (flags override it)")
      ->check(CLI::ExistingFile);
  sub->add_option("--resume", args->resume_dir,
                  "continue the interrupted run in DIR with its saved configuration")
      ->check(CLI::ExistingDirectory);
  add_config_flags(sub, *args);
  sub->callback([args, &exit_code] {
    install_interrupt_handlers();  // SIGINT/SIGTERM: stop at a step boundary, keep, explain
    if (!args->resume_dir.empty()) {
      std::string given;
      for (const auto& [field, opt] : args->options) {
        if (opt->count() > 0) given += " " + field->flag();
      }
      EDEN_CHECK(given.empty() && args->config_file.empty(),
                 "--resume continues with the run's saved config.yaml; drop", given,
                 args->config_file.empty() ? "" : " --config");
      print_summary(train::resume_run(args->resume_dir));
    } else {
      print_summary(train::train_run(resolve_config(*args, {})));
    }
    exit_code = 0;
  });
}

void register_eval_command(CLI::App& root, int& exit_code) {
  auto* sub = root.add_subcommand("eval", "re-evaluate a saved run on its evaluation split");
  auto dir = std::make_shared<std::string>();
  sub->add_option("--run", *dir, "run directory")->required()->check(CLI::ExistingDirectory);
  sub->callback([dir, &exit_code] {
    install_interrupt_handlers();
    const auto j = train::evaluate_run(*dir);
    fmt::print(
        "eval_top1 {:.4f}  eval_top5 {:.4f}  eval_f1 {:.4f}  eval_loss {:.4f}  ({} images)\n",
        j.at("eval_top1").get<double>(), j.at("eval_top5").get<double>(),
        j.at("eval_f1").get<double>(), j.at("eval_loss").get<double>(),
        j.at("eval_samples").get<int64_t>());
    fmt::print("per-class accuracy:\n");
    for (const auto& [name, acc] : j.at("per_class_accuracy").items()) {
      fmt::print("  {:<24} {:.4f}\n", name, acc.get<double>());
    }
    fmt::print("written: {}/eval.json\n", *dir);
    exit_code = 0;
  });
}

void register_run_command(CLI::App& root, int& exit_code) {
  auto* sub = root.add_subcommand(
      "run",
      "run an EDEN experiment: upstream backbone, baseline, E2AM candidate, comparison and card "
      "(no EXPERIMENT: the embedded Fashion-MNIST default)");
  auto file = std::make_shared<std::string>();
  auto out = std::make_shared<std::string>();
  auto print_default = std::make_shared<bool>(false);
  auto repeats = std::make_shared<int64_t>(0);
  sub->add_option("experiment", *file,
                  "experiment YAML (sections common, upstream, baseline, candidate or "
                  "candidates, repeats; see --print-default)")
      ->check(CLI::ExistingFile);
  sub->add_option("--out", *out, "experiment directory (an interrupted one is resumed)");
  CLI::Option* repeats_option =
      sub->add_option("--repeats", *repeats,
                      "run every stage with N seeds (seed, seed+1, ...); the comparisons show 95% "
                      "paired bootstrap intervals (overrides the file's repeats)");
  sub->add_flag("--print-default", *print_default, "print the embedded default experiment");
  sub->callback([=, &exit_code] {
    if (*print_default) {
      fmt::print("{}", pipeline::default_experiment_yaml());
      exit_code = 0;
      return;
    }
    install_interrupt_handlers();
    auto cfg = file->empty() ? pipeline::parse_experiment_yaml(pipeline::default_experiment_yaml(),
                                                               "embedded default experiment")
                             : pipeline::load_experiment(*file);
    if (!out->empty()) cfg.out = *out;
    if (repeats_option->count() > 0) {  // --repeats 0 is an error, not "unset"
      pipeline::check_repeats(*repeats, "--repeats");
      cfg.repeats = *repeats;
    }
    const auto r = pipeline::run_experiment(cfg);
    exit_code = 0;
    if (!r.wrote_files) return;  // another rank of a data-parallel run: rank 0 reports
    auto line = [](const std::string& what, const std::filesystem::path& path) {
      fmt::print("{:<21} {}\n", what + ":", path.string());
    };
    fmt::print("\n");
    line("experiment directory", r.dir);
    for (const auto& c : r.candidates) {
      const std::string who = r.candidates.size() > 1 ? " (" + c.name + ")" : "";
      line("model card" + who, c.card);
      line("green delta table" + who, c.green_delta);
    }
    line("project overview", r.overview);
    for (const auto& f : r.figures) line("figure", f);
  });
}

}  // namespace eden::cli
