// The Hugging Face model card (README.md) of a run: Hub front matter and the EDEN card's sections,
// every number from the run's own files, every user-supplied name escaped.
#pragma once

#include <filesystem>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "eden/report/figures.h"
#include "eden/report/green_delta.h"
#include "eden/report/repeated_delta.h"
#include "eden/report/run_record.h"

namespace eden::report {

/// config.yaml keys that name pretrained weights; a run with one set is "fine-tuning".
const std::vector<std::string>& pretrained_config_keys();

struct CardOptions {
  std::string title;       // default "EDEN-<model>-<data set>"
  std::string hub_id;      // "user/name" on the Hub: model-index name and citation URL; optional
  std::string license;     // the Hub's license id (e.g. "apache-2.0"); omitted when empty
  std::string base_model;  // the Hub id of the model this one was fine-tuned from; optional
  /// The profiling environment to show when the run has no env.json (`eden env --json` of the
  /// machine writing the card); the card then says whose machine it is. Null: "unknown".
  nlohmann::json fallback_env;
  /// Runs for the overview figure; empty = the run directory's parent folder.
  fs::path project_dir;
  bool draw_figures = true;
  GreenDeltaOptions delta;
  /// A study's Green Delta over seeds (`eden run` with repeats) in place of the comparison of
  /// `run` with `baseline`: the card's weights are `run`'s, its Green Delta the study's.
  std::optional<RepeatedGreenDelta> study;
};

/// Which figures exist next to README.md (the card links only those).
struct CardFigures {
  bool training_curve = false;  // training_curve.png / .svg
  bool overview = false;        // overview.png / .svg
  std::string note;             // why a figure is missing, shown in the card
};

/// The card's text. Pure: reads nothing from disk.
std::string render_model_card(const RunRecord& run, const RunRecord& baseline,
                              const CardOptions& options, const CardFigures& figures);

/// The YAML front matter alone (between the two "---" lines, without them).
std::string model_card_front_matter(const RunRecord& run, const RunRecord& baseline,
                                    const CardOptions& options);

struct CardFiles {
  fs::path readme;
  std::optional<FigureFiles> training_curve;
  std::optional<FigureFiles> overview;
  std::string note;  // why figures are missing, if they are
};

/// Draws the figures into the run directory (when available and options.draw_figures), then
/// writes README.md there.
CardFiles write_model_card(const RunRecord& run, const RunRecord& baseline,
                           const CardOptions& options = {});

}  // namespace eden::report
