// `eden compare`, `eden card`, `eden overview`: read run directories, call eden::report, print
// what was written.
#include <fmt/format.h>

#include <iostream>
#include <memory>
#include <optional>

#include "eden/cli/commands.h"
#include "eden/energy/environment.h"
#include "eden/report/green_delta.h"
#include "eden/report/model_card.h"
#include "eden/report/overview.h"
#include "eden/report/run_record.h"

namespace eden::cli {
namespace {

struct CompareArgs {
  std::string run;
  std::string baseline;
  std::string out;
  bool json = false;
};

int run_compare(const CompareArgs& args) {
  const report::RunRecord model = report::load_run(args.run);
  const report::RunRecord baseline = report::load_run(args.baseline);
  const report::GreenDelta delta = report::compare_runs(model, baseline);
  const auto [md, json] = report::write_green_delta(
      delta, model, baseline, args.out.empty() ? model.dir : report::fs::path(args.out));
  if (args.json) {
    std::cout << report::to_json(delta).dump(2) << "\n";
  } else {
    std::cout << report::to_markdown(delta);
    fmt::print("\nwrote {} and {}\n", md.string(), json.string());
  }
  return 0;
}

struct CardArgs {
  std::string run;
  std::string baseline;
  std::string title;
  std::string hub_id;
  std::string license;
  std::string base_model;
  std::string project;
  bool no_figures = false;
};

int run_card(const CardArgs& args) {
  const report::RunRecord run = report::load_run(args.run);
  const report::RunRecord baseline = report::load_run(args.baseline);
  report::CardOptions options;
  options.title = args.title;
  options.hub_id = args.hub_id;
  options.license = args.license;
  options.base_model = args.base_model;
  options.project_dir = args.project;
  options.draw_figures = !args.no_figures;
  if (!run.has_env()) options.fallback_env = energy::probe_environment().json();
  const report::CardFiles files = report::write_model_card(run, baseline, options);
  fmt::print("model card: {}\n", files.readme.string());
  for (const auto* figure : {&files.training_curve, &files.overview}) {
    if (*figure) fmt::print("figure: {} ({})\n", (*figure)->png.string(), (*figure)->svg.string());
  }
  if (!files.note.empty()) fmt::print(stderr, "note: no figures: {}\n", files.note);
  if (!run.has_env()) {
    fmt::print(stderr,
               "note: {} has no env.json; the card shows this machine's hardware and says so\n",
               run.dir.string());
  }
  return 0;
}

struct OverviewArgs {
  std::string dir;
  std::string baseline;
  std::string out;
};

int run_overview(const OverviewArgs& args) {
  report::OverviewOptions options;
  if (!args.baseline.empty()) options.baseline = report::fs::path(args.baseline);
  const report::Overview ov = report::build_overview(args.dir, options);
  for (const auto& [dir, why] : ov.skipped) {
    fmt::print(stderr, "warning: skipped {}: {}\n", dir.string(), why);
  }
  const report::OverviewFiles files =
      report::write_overview(ov, report::fs::path(args.out.empty() ? args.dir : args.out));
  std::cout << report::overview_markdown(ov);
  fmt::print("\nwrote {} and {}\n", files.markdown.string(), files.csv.string());
  if (files.figure) {
    fmt::print("figure: {} ({})\n", files.figure->png.string(), files.figure->svg.string());
  } else {
    fmt::print(stderr, "note: no figure: {}\n", files.figure_note);
  }
  return 0;
}

}  // namespace

void register_compare_command(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<CompareArgs>();
  auto* sub =
      root.add_subcommand("compare", "Green Delta Table and EAG of a run against a baseline run");
  sub->add_option("run", args->run, "run directory of the model")->required();
  sub->add_option("--baseline", args->baseline, "run directory of the baseline")->required();
  sub->add_option("--out", args->out,
                  "folder for green_delta.md and green_delta.json (default: the run directory)");
  sub->add_flag("--json", args->json, "print JSON instead of the Markdown table");
  sub->callback([args, &exit_code] { exit_code = run_compare(*args); });
}

void register_card_command(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<CardArgs>();
  auto* sub = root.add_subcommand(
      "card", "Write the Hugging Face model card (README.md) and figures into a run directory");
  sub->add_option("run", args->run, "run directory to describe")->required();
  sub->add_option("--baseline", args->baseline, "run directory of the baseline")->required();
  sub->add_option("--title", args->title, "card title (default EDEN-<model>-<data set>)");
  sub->add_option("--hub-id", args->hub_id,
                  "Hugging Face repository id (user/name) for model-index and the citation");
  sub->add_option("--license", args->license,
                  "license id for the card's metadata (the Hub's ids, e.g. apache-2.0, mit)");
  sub->add_option("--base-model", args->base_model,
                  "Hub id of the model this one was fine-tuned from (base_model)");
  sub->add_option("--project", args->project,
                  "folder of the project's runs for the overview figure (default: the run's "
                  "parent folder)");
  sub->add_flag("--no-figures", args->no_figures, "do not draw the figures");
  sub->callback([args, &exit_code] { exit_code = run_card(*args); });
}

void register_overview_command(CLI::App& root, int& exit_code) {
  auto args = std::make_shared<OverviewArgs>();
  auto* sub = root.add_subcommand(
      "overview", "Leaderboard (overview.md, overview.csv) and figure of every run under DIR");
  sub->add_option("dir", args->dir, "folder holding run directories")->required();
  sub->add_option("--baseline", args->baseline,
                  "run directory EAG is computed against (default: the most accurate run)");
  sub->add_option("--out", args->out, "folder for the outputs (default: DIR)");
  sub->callback([args, &exit_code] { exit_code = run_overview(*args); });
}

}  // namespace eden::cli
