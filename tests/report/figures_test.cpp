// The figures: valid PNGs of the requested size with real content (the curve colours present),
// SVGs, hostile labels, and clear errors. Skipped where EDEN was built without PLplot.
#include <gtest/gtest.h>
#include <png.h>

#include <array>
#include <cstdlib>
#include <set>

#include "eden/report/figures.h"
#include "eden/report/model_card.h"
#include "eden/report/run_record.h"
#include "eden/util/check.h"
#include "fake_run.h"

namespace {

namespace t = eden::testing;
namespace r = eden::report;

/// A decoded RGBA image.
struct Image {
  uint32_t width = 0;
  uint32_t height = 0;
  std::vector<uint8_t> rgba;

  std::array<int, 3> rgb(uint32_t x, uint32_t y) const {
    const std::size_t i = (static_cast<std::size_t>(y) * width + x) * 4;
    return {rgba[i], rgba[i + 1], rgba[i + 2]};
  }
  /// Pixels within `tolerance` (per channel) of a colour.
  int count_near(std::array<int, 3> colour, int tolerance = 40) const {
    int n = 0;
    for (uint32_t y = 0; y < height; ++y) {
      for (uint32_t x = 0; x < width; ++x) {
        const auto c = rgb(x, y);
        bool near = true;
        for (int k = 0; k < 3; ++k) near = near && std::abs(c[k] - colour[k]) <= tolerance;
        n += near ? 1 : 0;
      }
    }
    return n;
  }
};

/// Decodes a PNG with libpng; fails the test when it is not a valid PNG.
Image read_png(const std::filesystem::path& path) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  Image out;
  if (!png_image_begin_read_from_file(&image, path.c_str())) {
    ADD_FAILURE() << path << ": not a PNG: " << image.message;
    return out;
  }
  image.format = PNG_FORMAT_RGBA;
  out.width = image.width;
  out.height = image.height;
  out.rgba.resize(PNG_IMAGE_SIZE(image));
  if (!png_image_finish_read(&image, nullptr, out.rgba.data(), 0, nullptr)) {
    ADD_FAILURE() << path << ": cannot decode: " << image.message;
  }
  return out;
}

/// The text of a PLplot SVG: its driver writes every character as "&#xHH;".
std::string decode_svg_entities(const std::string& svg) {
  std::string out;
  for (std::size_t i = 0; i < svg.size(); ++i) {
    if (svg.compare(i, 3, "&#x") == 0) {
      const auto end = svg.find(';', i);
      const unsigned long code = std::stoul(svg.substr(i + 3, end - i - 3), nullptr, 16);
      if (code < 0x80) {
        out += static_cast<char>(code);
      } else if (code < 0x800) {
        out += static_cast<char>(0xC0 | (code >> 6));
        out += static_cast<char>(0x80 | (code & 0x3F));
      } else {
        out += static_cast<char>(0xE0 | (code >> 12));
        out += static_cast<char>(0x80 | ((code >> 6) & 0x3F));
        out += static_cast<char>(0x80 | (code & 0x3F));
      }
      i = end;
    } else {
      out += svg[i];
    }
  }
  return out;
}

class FiguresTest : public ::testing::Test {
 protected:
  void SetUp() override {
    std::string why;
    if (!r::figures_available(&why)) GTEST_SKIP() << why;
    root_ = t::fresh_temp_dir("figures");
  }
  void TearDown() override {
    if (!root_.empty()) std::filesystem::remove_all(root_);
  }
  std::filesystem::path root_;
};

constexpr std::array<int, 3> kGreen = {34, 139, 34};
constexpr std::array<int, 3> kOrange = {255, 140, 0};
constexpr std::array<int, 3> kRed = {214, 39, 40};
constexpr std::array<int, 3> kBlue = {31, 119, 180};

TEST_F(FiguresTest, TrainingCurveIsAPngOfTheRightSizeWithBothCurves) {
  t::FakeRun fake;
  fake.epochs = 8;
  fake.unfreeze_epoch = 3;
  const auto run = r::load_run(t::write_fake_run(root_ / "run", fake));
  const r::TrainingCurve curve = r::training_curve(run);
  EXPECT_EQ(curve.unfreeze_epoch, 4);
  EXPECT_DOUBLE_EQ(curve.unfreeze_x, 3.5);
  ASSERT_EQ(curve.epoch.size(), 8u);
  EXPECT_DOUBLE_EQ(curve.epoch.front(), 1.0);

  const auto files = r::plot_training_curve(curve, root_ / "curve");
  const Image png = read_png(files.png);
  EXPECT_EQ(png.width, 1000u);
  EXPECT_EQ(png.height, 600u);
  std::set<std::array<int, 3>> colours;
  for (uint32_t y = 0; y < png.height; y += 3) {
    for (uint32_t x = 0; x < png.width; x += 3) colours.insert(png.rgb(x, y));
  }
  EXPECT_GT(colours.size(), 20u) << "a blank or flat image";
  EXPECT_GT(png.count_near(kGreen), 500) << "the green accuracy curve";
  EXPECT_GT(png.count_near(kOrange), 500) << "the orange energy curve";
  EXPECT_GT(png.count_near({255, 255, 255}, 0), static_cast<int>(png.width * png.height / 2))
      << "mostly white background";

  const std::string svg = eden::read_file(files.svg);
  EXPECT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("<svg"), std::string::npos);
  EXPECT_NE(svg.find("</svg>"), std::string::npos);
}

TEST_F(FiguresTest, OverviewShowsRunsBaselineAndFront) {
  const std::vector<r::OverviewPoint> points = {
      {"resnet50 # base", 380392115.0, 0.9573, true, true},
      {"mobilevit ✓ <b>", 6905436.0, 0.8850, false, true},
      {"dominated | run", 9000000.0, 0.80, false, false},
      {"tiny\nrun", 50000.0, 0.70, false, true},
      {"no energy", 0.0, 0.5, false, false},
  };
  const auto files =
      r::plot_overview(points, "5 runs: energy vs accuracy", root_ / "overview", {800, 500});
  const Image png = read_png(files.png);
  EXPECT_EQ(png.width, 800u);
  EXPECT_EQ(png.height, 500u);
  EXPECT_GT(png.count_near(kRed, 30), 30) << "the red baseline diamond";
  EXPECT_GT(png.count_near({44, 160, 44}, 30), 100) << "the green Pareto front";
  EXPECT_GT(png.count_near(kBlue, 30), 30) << "the blue dominated run";
  const std::string text = decode_svg_entities(eden::read_file(files.svg));
  EXPECT_NE(text.find("without energy not shown"), std::string::npos);
  EXPECT_NE(text.find("resnet50 # base (baseline)"), std::string::npos) << "'#' is not an escape";
  EXPECT_NE(text.find("mobilevit ✓ "), std::string::npos);
}

TEST_F(FiguresTest, OverviewDrawsErrorBarsOfAStudysMeans) {
  const r::OverviewPoint base{"base", 1e6, 0.9, true, true};
  const r::OverviewPoint plain{"study", 1e5, 0.8, false, false};
  r::OverviewPoint barred = plain;
  barred.energy_low_j = 5e4;
  barred.energy_high_j = 2e5;
  barred.accuracy_low = 0.72;
  barred.accuracy_high = 0.86;
  const auto a = r::plot_overview({base, plain}, "no bars", root_ / "plain", {800, 500});
  const auto b = r::plot_overview({base, barred}, "bars", root_ / "bars", {800, 500});
  // The bars are 1 px lines, anti-aliased: a wider colour tolerance than for markers.
  const int without = read_png(a.png).count_near(kBlue, 60);
  const int with = read_png(b.png).count_near(kBlue, 60);
  EXPECT_GT(with, without + 100) << "two blue bars across the point";
  EXPECT_NE(decode_svg_entities(eden::read_file(b.svg)).find("bars: 95% intervals over seeds"),
            std::string::npos);
  EXPECT_EQ(decode_svg_entities(eden::read_file(a.svg)).find("bars: 95%"), std::string::npos);
}

TEST_F(FiguresTest, ClearErrorsInsteadOfPlplotExits) {
  r::TrainingCurve empty;
  empty.title = "empty";
  EXPECT_THROW(r::plot_training_curve(empty, root_ / "x"), eden::Error);
  r::TrainingCurve bad;
  bad.epoch = {1, 2};
  bad.accuracy = {0.5, NAN};
  bad.energy_cum_j = {1, 2};
  EXPECT_THROW(r::plot_training_curve(bad, root_ / "x"), eden::Error);
  EXPECT_THROW(r::plot_overview({{"zero", 0.0, 0.5, false, true}}, "", root_ / "o"), eden::Error);
  t::write_text(root_ / "file", "not a folder");
  r::TrainingCurve ok;
  ok.epoch = {1};
  ok.accuracy = {0.5};
  ok.energy_cum_j = {10};
  EXPECT_THROW(r::plot_training_curve(ok, root_ / "file" / "curve"), eden::Error);
  EXPECT_NO_THROW(r::plot_training_curve(ok, root_ / "one-epoch"));
}

TEST_F(FiguresTest, CardDrawsAndLinksBothFigures) {
  t::FakeRun base;
  base.model = "resnet50";
  base.accuracy = 0.9573;
  base.energy_j = 380392115.0;
  const auto project = root_ / "project";
  t::write_fake_run(project / "baseline", base);
  t::FakeRun fake;
  fake.unfreeze_epoch = 1;
  const auto run = r::load_run(t::write_fake_run(project / "candidate", fake));
  const auto files = r::write_model_card(run, r::load_run(project / "baseline"));
  ASSERT_TRUE(files.training_curve.has_value());
  ASSERT_TRUE(files.overview.has_value());
  EXPECT_EQ(files.training_curve->png, project / "candidate" / "training_curve.png");
  EXPECT_EQ(files.overview->png, project / "candidate" / "overview.png");
  EXPECT_EQ(read_png(files.overview->png).width, 1000u);
  const std::string card = eden::read_file(files.readme);
  EXPECT_NE(card.find("![Accuracy & Energy over Training](training_curve.png)"), std::string::npos);
  EXPECT_NE(card.find("![Project-Wide Overview](overview.png)"), std::string::npos);
}

}  // namespace
