// Report figures with PLplot: a fresh stream per file under a mutex (PLplot has global state);
// inputs are checked first because PLplot exits the process on fatal errors.
#include "eden/report/figures.h"

#include <fmt/format.h>
#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <mutex>

#include "eden/report/escape.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

#ifdef EDEN_HAVE_PLPLOT
#include <plplot/plplot.h>
#endif

namespace eden::report {

TrainingCurve training_curve(const RunRecord& run) {
  TrainingCurve c;
  c.title =
      fmt::format("{} on {} (run {})", run.model, run.data.empty() ? "?" : run.data, run.name);
  c.energy_estimated = run.energy_source != "measured";
  for (const auto& e : run.log) {
    c.epoch.push_back(static_cast<double>(e.epoch + 1));
    c.accuracy.push_back(e.eval_top1);
    c.energy_cum_j.push_back(std::isfinite(e.energy_cum_j) ? e.energy_cum_j : 0.0);
  }
  for (std::size_t i = 1; i < run.log.size(); ++i) {
    if (run.log[i - 1].phase == "frozen" && run.log[i].phase == "full") {
      c.unfreeze_epoch = static_cast<int>(run.log[i].epoch + 1);
      break;
    }
  }
  if (c.unfreeze_epoch == 0) {
    const int unfreeze = static_cast<int>(run.frozen_epochs());
    if (unfreeze > 0 && !run.log.empty() && unfreeze <= run.log.back().epoch) {
      c.unfreeze_epoch = unfreeze + 1;
    }
  }
  if (c.unfreeze_epoch > 0) c.unfreeze_x = c.unfreeze_epoch - 0.5;
  return c;
}

#ifdef EDEN_HAVE_PLPLOT

namespace {

// Colour map 0 entries (PLplot draws with indices into it).
enum Colour : PLINT {
  kBackground = 0,
  kInk = 1,
  kAccuracyGreen = 2,
  kEnergyOrange = 3,
  kMarkerGrey = 4,
  kRunBlue = 5,
  kBaselineRed = 6,
  kGridGrey = 7,
  kFrontGreen = 8,
  kColourCount = 9,
};

constexpr const char* kPngDevice = "pngcairo";
constexpr const char* kSvgDevice = "svg";
constexpr std::size_t kMaxLabelChars = 40;

std::mutex& plplot_mutex() {
  static std::mutex m;
  return m;
}

/// Text for PLplot: one line, '#' (PLplot's escape character) doubled.
std::string plot_text(const std::string& text) {
  std::string out;
  for (char c : single_line(text)) {
    out += c;
    if (c == '#') out += '#';
  }
  return out;
}

/// At most kMaxLabelChars UTF-8 characters, with an ellipsis when cut.
std::string shorten(const std::string& text) {
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size(); ++i) {
    if ((static_cast<unsigned char>(text[i]) & 0xC0) == 0x80) continue;  // continuation byte
    if (++chars > kMaxLabelChars) return text.substr(0, i) + "…";
  }
  return text;
}

void set_dashes(PLINT mark_um, PLINT space_um) {
  plstyl(1, &mark_um, &space_um);
}

void solid() {
  pllsty(1);
}

/// One PLplot stream writing one file: created current, ended and the previous one restored.
class PlotStream {
 public:
  PlotStream(const char* device, const fs::path& file, const FigureSize& size) {
    plgstrm(&previous_);
    plmkstrm(&stream_);
    plsdev(device);
    plsfnam(file.c_str());
    plspage(0, 0, size.width_px, size.height_px, 0, 0);
    plscmap0n(kColourCount);
    plscol0(kBackground, 255, 255, 255);
    plscol0(kInk, 30, 30, 30);
    plscol0(kAccuracyGreen, 34, 139, 34);
    plscol0(kEnergyOrange, 255, 140, 0);
    plscol0(kMarkerGrey, 110, 110, 110);
    plscol0(kRunBlue, 31, 119, 180);
    plscol0(kBaselineRed, 214, 39, 40);
    plscol0(kGridGrey, 225, 225, 225);
    plscol0(kFrontGreen, 44, 160, 44);
    plinit();
    pladv(0);
  }
  ~PlotStream() {
    plend1();
    plsstrm(previous_);
  }
  PlotStream(const PlotStream&) = delete;
  PlotStream& operator=(const PlotStream&) = delete;

 private:
  PLINT previous_ = 0;
  PLINT stream_ = 0;
};

/// Draws with `draw` into a temp file next to `path`, then renames it onto `path`.
template <typename Draw>
void render(const char* device, const fs::path& path, const FigureSize& size, Draw draw) {
  const fs::path tmp = path.parent_path() / fmt::format(".{}.{}.tmp", path.filename().string(),
                                                        static_cast<long>(::getpid()));
  {
    // PLplot exits the process when it cannot open its file: find out first.
    std::ofstream probe(tmp);
    EDEN_CHECK(probe.good(), "cannot write the figure ", path.string(),
               "; hint: check that the folder exists and is writable");
  }
  {
    PlotStream stream(device, tmp, size);
    draw();
  }
  std::error_code ec;
  EDEN_CHECK(fs::file_size(tmp, ec) > 0 && !ec, "PLplot wrote nothing to ", tmp.string(), " (",
             device, " driver)");
  fs::rename(tmp, path, ec);
  EDEN_CHECK(!ec, "cannot rename ", tmp.string(), " to ", path.string(), ": ", ec.message());
}

/// Unit for an energy axis whose largest value is `max_j`: (divisor, name).
std::pair<double, const char*> energy_unit(double max_j) {
  if (max_j >= 1e9) return {1e9, "GJ"};
  if (max_j >= 1e6) return {1e6, "MJ"};
  if (max_j >= 1e3) return {1e3, "kJ"};
  return {1.0, "J"};
}

/// One entry of a figure's key: a line (solid or dashed) and/or a symbol, then the text.
struct KeyEntry {
  PLINT colour;
  bool line;
  bool dashed;
  const char* symbol;  // "" for none
  std::string text;
};

/// Number of characters (not bytes) of UTF-8 text.
double char_count(const std::string& text) {
  double n = 0;
  for (char c : text) n += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1.0 : 0.0;
  return n;
}

/// The key as one centred row in the normalised-page box [x0, x1] x [y0, y1]. Text widths are
/// estimated from the character height (sans-serif glyphs average under 0.7 of it).
void draw_key(const std::vector<KeyEntry>& entries, PLFLT x0, PLFLT x1, PLFLT y0, PLFLT y1) {
  constexpr double kGlyphWidthPerHeight = 0.7;
  plvpor(x0, x1, y0, y1);
  plwind(0.0, 1.0, 0.0, 1.0);
  PLFLT default_mm = 0, height_mm = 0, page_x0 = 0, page_x1 = 0, page_y0 = 0, page_y1 = 0;
  plgchr(&default_mm, &height_mm);
  plgspa(&page_x0, &page_x1, &page_y0, &page_y1);
  const double char_w = kGlyphWidthPerHeight * height_mm / ((x1 - x0) * (page_x1 - page_x0));
  const double sample_w = 4.0 * char_w, pad_w = 1.0 * char_w, gap_w = 4.0 * char_w;
  double total = 0.0;
  for (const auto& e : entries) total += sample_w + pad_w + char_count(e.text) * char_w + gap_w;
  double left = std::max(0.0, (1.0 - (total - gap_w)) / 2.0);
  for (const auto& e : entries) {
    plcol0(e.colour);
    if (e.line) {
      PLFLT xs[2] = {left, left + sample_w}, ys[2] = {0.5, 0.5};
      plwidth(2.5);
      if (e.dashed) set_dashes(4000, 3000);
      plline(2, xs, ys);
      solid();
      plwidth(1.0);
    }
    if (e.symbol[0] != '\0') {
      PLFLT x = left + sample_w / 2, y = 0.5;
      plstring(1, &x, &y, e.symbol);
    }
    plcol0(kInk);
    plptex(left + sample_w + pad_w, 0.5, 1.0, 0.0, 0.0, plot_text(e.text).c_str());
    left += sample_w + pad_w + char_count(e.text) * char_w + gap_w;
  }
}

void check_finite(const std::vector<double>& values, const char* what) {
  for (double v : values) {
    EDEN_CHECK(std::isfinite(v), "cannot plot ", what, ": it holds ", v,
               " (log.csv has a missing or non-numeric value)");
  }
}

void draw_training_curve(const TrainingCurve& c) {
  const std::size_t n = c.epoch.size();
  const PLFLT x0 = c.epoch.front() - 0.5, x1 = c.epoch.back() + 0.5;
  const auto [acc_min, acc_max] = std::minmax_element(c.accuracy.begin(), c.accuracy.end());
  PLFLT lo = std::max(0.0, std::floor((*acc_min - 0.02) * 20.0) / 20.0);
  PLFLT hi = std::min(1.0, std::ceil((*acc_max + 0.02) * 20.0) / 20.0);
  if (hi - lo < 0.1) lo = std::max(0.0, hi - 0.1);
  const double energy_max = *std::max_element(c.energy_cum_j.begin(), c.energy_cum_j.end());
  const auto [divisor, unit] = energy_unit(energy_max);
  const PLFLT energy_top = energy_max > 0 ? energy_max / divisor * 1.08 : 1.0;
  const PLFLT x_tick = n <= 20 ? 1.0 : 0.0;  // a tick per epoch for short runs

  plschr(0.0, 1.0);
  plvpor(0.09, 0.89, 0.20, 0.82);
  plwind(x0, x1, lo, hi);
  plcol0(kGridGrey);
  plbox("g", x_tick, 1, "g", 0.0, 0);
  plcol0(kInk);
  plbox("bcnt", x_tick, 1, "bnstv", 0.0, 0);
  plmtex("b", 3.0, 0.5, 0.5, "Epoch");
  plcol0(kAccuracyGreen);
  plmtex("l", 4.0, 0.5, 0.5, "Accuracy (top-1)");

  std::vector<PLFLT> x(c.epoch.begin(), c.epoch.end());
  std::vector<PLFLT> acc(c.accuracy.begin(), c.accuracy.end());
  plwidth(2.5);
  plline(static_cast<PLINT>(n), x.data(), acc.data());
  plwidth(1.0);
  plstring(static_cast<PLINT>(n), x.data(), acc.data(), "•");

  if (c.unfreeze_x > 0) {
    PLFLT ux[2] = {c.unfreeze_x, c.unfreeze_x}, uy[2] = {lo, hi};
    plcol0(kMarkerGrey);
    set_dashes(1500, 1500);
    plline(2, ux, uy);
    solid();
    // Above the frame, so that it never hides a curve.
    const std::string text = fmt::format("unfreeze (epoch {})", c.unfreeze_epoch);
    plschr(0.0, 0.85);
    plmtex("t", 0.5, (c.unfreeze_x - x0) / (x1 - x0), 0.5, text.c_str());
    plschr(0.0, 1.0);
  }

  plwind(x0, x1, 0.0, energy_top);
  plcol0(kInk);
  plbox("", 0.0, 0, "cmstv", 0.0, 0);
  plcol0(kEnergyOrange);
  const std::string energy_label =
      fmt::format("Cumulative energy ({}{})", unit, c.energy_estimated ? ", estimated" : "");
  plmtex("r", 4.5, 0.5, 0.5, energy_label.c_str());
  std::vector<PLFLT> energy;
  for (double e : c.energy_cum_j) energy.push_back(e / divisor);
  plwidth(2.5);
  set_dashes(4000, 3000);
  plline(static_cast<PLINT>(n), x.data(), energy.data());
  solid();
  plwidth(1.0);

  plcol0(kInk);
  plschr(0.0, 1.25);
  plmtex("t", 3.6, 0.5, 0.5, "Accuracy & Energy over Training");
  plschr(0.0, 0.9);
  plmtex("t", 2.2, 0.5, 0.5, plot_text(c.title).c_str());
  plschr(0.0, 1.0);
  draw_key({{kAccuracyGreen, true, false, "•", "accuracy (left axis)"},
            {kEnergyOrange, true, true, "", "cumulative energy (right axis)"}},
           0.09, 0.89, 0.02, 0.07);
}

void draw_overview(const std::vector<OverviewPoint>& all, const std::string& subtitle) {
  std::vector<OverviewPoint> points;
  for (const auto& p : all) {
    if (p.energy_j > 0) points.push_back(p);
  }
  const std::size_t left_out = all.size() - points.size();
  double e_min = HUGE_VAL, e_max = 0.0, a_min = 1.0, a_max = 0.0;
  for (const auto& p : points) {
    e_min = std::min(e_min, std::log10(p.energy_j));
    e_max = std::max(e_max, std::log10(p.energy_j));
    a_min = std::min(a_min, p.accuracy);
    a_max = std::max(a_max, p.accuracy);
    if (p.has_error_bars()) {  // the bars stay inside the frame
      e_min = std::min(e_min, std::log10(p.energy_low_j));
      e_max = std::max(e_max, std::log10(p.energy_high_j));
      a_min = std::min(a_min, p.accuracy_low);
      a_max = std::max(a_max, p.accuracy_high);
    }
  }
  // Whole decades: PLplot labels a log axis at powers of ten only.
  const double e_pad = std::max(0.15, (e_max - e_min) * 0.08);
  const PLFLT x0 = std::floor(e_min - e_pad), x1 = std::ceil(e_max + e_pad);
  PLFLT lo = std::max(0.0, std::floor((a_min - 0.03) * 20.0) / 20.0);
  PLFLT hi = std::min(1.0, std::ceil((a_max + 0.03) * 20.0) / 20.0);
  if (hi - lo < 0.1) lo = std::max(0.0, hi - 0.1);

  plschr(0.0, 1.0);
  plvpor(0.09, 0.95, 0.20, 0.84);
  plwind(x0, x1, lo, hi);
  plcol0(kGridGrey);
  plbox("gl", 0.0, 0, "g", 0.0, 0);
  plcol0(kInk);
  plbox("bclnst", 0.0, 0, "bcnstv", 0.0, 0);
  plmtex("b", 3.0, 0.5, 0.5, "Training energy (J, log scale)");
  plmtex("l", 4.0, 0.5, 0.5, "Accuracy (top-1)");

  // Pareto front: the front's points joined in order of energy.
  std::vector<std::pair<PLFLT, PLFLT>> front;
  for (const auto& p : points) {
    if (p.pareto) front.emplace_back(std::log10(p.energy_j), p.accuracy);
  }
  std::sort(front.begin(), front.end());
  if (front.size() > 1) {
    std::vector<PLFLT> fx, fy;
    for (const auto& [x, y] : front) fx.push_back(x), fy.push_back(y);
    plcol0(kFrontGreen);
    plwidth(2.0);
    plline(static_cast<PLINT>(fx.size()), fx.data(), fy.data());
    plwidth(1.0);
  }

  // Error bars first, so the markers sit on top of them.
  bool any_bars = false;
  for (const auto& p : points) {
    if (!p.has_error_bars()) continue;
    any_bars = true;
    PLFLT x = std::log10(p.energy_j), y = p.accuracy;
    PLFLT x_lo = std::log10(p.energy_low_j), x_hi = std::log10(p.energy_high_j);
    PLFLT y_lo = p.accuracy_low, y_hi = p.accuracy_high;
    plcol0(p.baseline ? kBaselineRed : (p.pareto ? kFrontGreen : kRunBlue));
    plerrx(1, &x_lo, &x_hi, &y);
    plerry(1, &x, &y_lo, &y_hi);
  }

  const PLFLT dx = (x1 - x0) * 0.02;
  for (const auto& p : points) {
    PLFLT x = std::log10(p.energy_j), y = p.accuracy;
    plschr(0.0, p.baseline ? 1.4 : 1.1);
    plcol0(p.baseline ? kBaselineRed : (p.pareto ? kFrontGreen : kRunBlue));
    plstring(1, &x, &y, p.baseline ? "◆" : "●");
    plschr(0.0, 0.85);
    plcol0(kInk);
    const std::string label = plot_text(shorten(p.label) + (p.baseline ? " (baseline)" : ""));
    const bool right_side = x > x0 + (x1 - x0) * 0.72;  // keep labels inside the frame
    plptex(right_side ? x - 1.5 * dx : x + dx, y, 1.0, 0.0, right_side ? 1.0 : 0.0, label.c_str());
  }

  plschr(0.0, 1.25);
  plmtex("t", 3.0, 0.5, 0.5, "Project-Wide Overview");
  plschr(0.0, 0.9);
  std::string sub = plot_text(subtitle);
  if (left_out > 0) sub += fmt::format(" ({} run(s) without energy not shown)", left_out);
  if (any_bars) sub += "; bars: 95% intervals over seeds";
  plmtex("t", 1.2, 0.5, 0.5, sub.c_str());
  plschr(0.0, 1.0);
  draw_key({{kRunBlue, false, false, "●", "run"},
            {kFrontGreen, true, false, "●", "Pareto front"},
            {kBaselineRed, false, false, "◆", "baseline"}},
           0.09, 0.95, 0.02, 0.07);
}

}  // namespace

bool figures_available(std::string* why) {
  static const std::string reason = [] {
    std::lock_guard<std::mutex> lock(plplot_mutex());
    constexpr int kMaxDevices = 128;
    const char* menus[kMaxDevices];
    const char* names[kMaxDevices];
    const char** menu_ptr = menus;
    const char** name_ptr = names;
    int count = kMaxDevices;
    plgDevs(&menu_ptr, &name_ptr, &count);
    std::string missing;
    for (const char* wanted : {kPngDevice, kSvgDevice}) {
      bool found = false;
      for (int i = 0; i < count; ++i) found = found || std::string(names[i]) == wanted;
      if (!found) missing += std::string(missing.empty() ? "" : ", ") + wanted;
    }
    if (missing.empty()) return std::string();
    return "PLplot has no " + missing +
           " driver; hint: install plplot-driver-cairo (pngcairo) and libplplot17 (svg)";
  }();
  if (why != nullptr) *why = reason;
  return reason.empty();
}

FigureFiles plot_training_curve(const TrainingCurve& curve, const fs::path& stem,
                                const FigureSize& size) {
  std::string why;
  EDEN_CHECK(figures_available(&why), "cannot draw figures: ", why);
  EDEN_CHECK(!curve.epoch.empty(), "cannot plot '", curve.title,
             "': log.csv has no epochs yet; hint: let the run finish at least one epoch");
  EDEN_CHECK(curve.accuracy.size() == curve.epoch.size() &&
                 curve.energy_cum_j.size() == curve.epoch.size(),
             "training curve: ", curve.epoch.size(), " epochs but ", curve.accuracy.size(),
             " accuracies and ", curve.energy_cum_j.size(), " energies");
  check_finite(curve.epoch, "the epochs");
  check_finite(curve.accuracy, "the accuracy per epoch");
  check_finite(curve.energy_cum_j, "the cumulative energy");
  EDEN_CHECK(size.width_px >= 200 && size.height_px >= 150, "figure size ", size.width_px, "x",
             size.height_px, " is too small (at least 200x150 px)");
  ensure_directory(stem.parent_path().empty() ? fs::path(".") : stem.parent_path());
  FigureFiles files{fs::path(stem.string() + ".png"), fs::path(stem.string() + ".svg")};
  std::lock_guard<std::mutex> lock(plplot_mutex());
  render(kPngDevice, files.png, size, [&] { draw_training_curve(curve); });
  render(kSvgDevice, files.svg, size, [&] { draw_training_curve(curve); });
  return files;
}

FigureFiles plot_overview(const std::vector<OverviewPoint>& points, const std::string& subtitle,
                          const fs::path& stem, const FigureSize& size) {
  std::string why;
  EDEN_CHECK(figures_available(&why), "cannot draw figures: ", why);
  bool any = false;
  for (const auto& p : points) {
    EDEN_CHECK(std::isfinite(p.energy_j) && std::isfinite(p.accuracy), "cannot plot run '", p.label,
               "': energy ", p.energy_j, " J, accuracy ", p.accuracy);
    any = any || p.energy_j > 0;
  }
  EDEN_CHECK(any, "cannot draw the overview: no run has a positive energy (", points.size(),
             " run(s)); hint: runs need energy_j in metrics.json");
  EDEN_CHECK(size.width_px >= 200 && size.height_px >= 150, "figure size ", size.width_px, "x",
             size.height_px, " is too small (at least 200x150 px)");
  ensure_directory(stem.parent_path().empty() ? fs::path(".") : stem.parent_path());
  FigureFiles files{fs::path(stem.string() + ".png"), fs::path(stem.string() + ".svg")};
  std::lock_guard<std::mutex> lock(plplot_mutex());
  render(kPngDevice, files.png, size, [&] { draw_overview(points, subtitle); });
  render(kSvgDevice, files.svg, size, [&] { draw_overview(points, subtitle); });
  return files;
}

#else  // !EDEN_HAVE_PLPLOT

namespace {
constexpr const char* kNoPlplot =
    "EDEN was built without PLplot; hint: install libplplot-dev and plplot-driver-cairo "
    "(scripts/setup), then rebuild";
}  // namespace

bool figures_available(std::string* why) {
  if (why != nullptr) *why = kNoPlplot;
  return false;
}

FigureFiles plot_training_curve(const TrainingCurve&, const fs::path&, const FigureSize&) {
  EDEN_CHECK(false, "cannot draw figures: ", kNoPlplot);
  return {};
}

FigureFiles plot_overview(const std::vector<OverviewPoint>&, const std::string&, const fs::path&,
                          const FigureSize&) {
  EDEN_CHECK(false, "cannot draw figures: ", kNoPlplot);
  return {};
}

#endif  // EDEN_HAVE_PLPLOT

}  // namespace eden::report
