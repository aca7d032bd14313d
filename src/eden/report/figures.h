// The report figures, drawn with PLplot (cairo PNG and SVG): "Accuracy & Energy over Training"
// for one run and the "Project-Wide Overview" of many runs (energy on a log axis vs accuracy).
#pragma once

#include <cmath>
#include <filesystem>
#include <limits>
#include <string>
#include <vector>

#include "eden/report/run_record.h"

namespace eden::report {

struct FigureSize {
  int width_px = 1000;
  int height_px = 600;
};

/// Paths of one figure's two renderings.
struct FigureFiles {
  fs::path png;
  fs::path svg;
};

/// What the training figure shows.
struct TrainingCurve {
  std::string title;                 // e.g. "small_cnn on fashion-mnist (run rA)"
  std::vector<double> epoch;         // x: 1-based epoch numbers
  std::vector<double> accuracy;      // left axis: top-1 after each epoch, fraction
  std::vector<double> energy_cum_j;  // right axis: energy since the start, J
  double unfreeze_x = 0.0;           // x of the frozen -> full boundary; 0 = no unfreezing
  int unfreeze_epoch = 0;            // the first full epoch (1-based), for the label
  bool energy_estimated = false;     // the right axis says "estimated"
};

/// The curve of a run from its log.csv; the unfreeze boundary from the log's phase column (the
/// first "full" epoch after "frozen" ones), else from config.yaml's unfreeze_epoch.
TrainingCurve training_curve(const RunRecord& run);

/// One run in the overview figure.
struct OverviewPoint {
  std::string label;
  double energy_j = 0.0;
  double accuracy = 0.0;
  bool baseline = false;
  bool pareto = false;  // on the Pareto front
  /// A study's mean over seeds: its 95% intervals, drawn as error bars (NaN: none).
  double energy_low_j = std::numeric_limits<double>::quiet_NaN();
  double energy_high_j = std::numeric_limits<double>::quiet_NaN();
  double accuracy_low = std::numeric_limits<double>::quiet_NaN();
  double accuracy_high = std::numeric_limits<double>::quiet_NaN();
  bool has_error_bars() const {
    return std::isfinite(energy_low_j) && std::isfinite(energy_high_j) && energy_low_j > 0 &&
           std::isfinite(accuracy_low) && std::isfinite(accuracy_high);
  }
};

/// False (with the reason in *why) when EDEN was built without PLplot or PLplot lacks the
/// pngcairo or svg driver; the figure functions throw eden::Error in that case.
bool figures_available(std::string* why = nullptr);

/// Draws `stem`.png and `stem`.svg (each written atomically). Throws eden::Error on an empty
/// curve, non-finite numbers or an unwritable folder.
FigureFiles plot_training_curve(const TrainingCurve& curve, const fs::path& stem,
                                const FigureSize& size = {});

/// Draws the overview: every point labelled, the baseline as a red diamond, the Pareto front as
/// a green line, error bars where a point has intervals. Points without energy (<= 0 J) cannot
/// sit on a log axis and are left out (the figure says how many). Throws eden::Error when no point
/// is left.
FigureFiles plot_overview(const std::vector<OverviewPoint>& points, const std::string& subtitle,
                          const fs::path& stem, const FigureSize& size = {});

}  // namespace eden::report
