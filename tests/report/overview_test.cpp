// The project overview: finding runs, the Pareto front, the baseline rule, EAG and accuracy per
// kJ per run, skipped folders, and the golden leaderboard in Markdown and CSV.
#include <gtest/gtest.h>

#include "eden/report/overview.h"
#include "eden/report/pareto.h"
#include "eden/util/check.h"
#include "fake_run.h"

namespace {

namespace t = eden::testing;
namespace r = eden::report;

TEST(Pareto, KeepsOnlyUndominatedPoints) {
  const std::vector<r::EnergyAccuracy> points = {
      {100.0, 0.90},  // front: most accurate
      {10.0, 0.80},   // front: cheapest
      {50.0, 0.80},   // dominated by the cheaper point of equal accuracy
      {60.0, 0.85},   // front
      {100.0, 0.90},  // identical to the first: kept
      {200.0, 0.85},  // dominated
  };
  EXPECT_EQ(r::pareto_front(points), (std::vector<bool>{true, true, false, true, true, false}));
  EXPECT_EQ(r::pareto_front({{1.0, 0.5}}), std::vector<bool>{true});
  EXPECT_TRUE(r::pareto_front({}).empty());
}

class OverviewTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = t::fresh_temp_dir("overview");
    project_ = root_ / "project";
    t::FakeRun base;
    base.model = "resnet50";
    base.accuracy = 0.9573;
    base.macro_f1 = 0.956;
    base.energy_j = 380392115.0;
    t::write_fake_run(project_ / "resnet50", base);
    t::write_fake_run(project_ / "mobilevit", t::FakeRun{});
    t::FakeRun cheap;
    cheap.model = "small_cnn";
    cheap.accuracy = 0.80;
    cheap.macro_f1 = 0.79;
    cheap.energy_j = 52000.0;
    cheap.energy_source = "estimated";
    t::write_fake_run(project_ / "sweep" / "small", cheap);
    t::FakeRun wasteful = cheap;
    wasteful.model = "mobilenetv2";
    wasteful.accuracy = 0.78;
    wasteful.energy_j = 9000000.0;
    t::write_fake_run(project_ / "sweep" / "wasteful", wasteful);
    t::write_fake_run(project_ / ".hidden" / "ignored", cheap);
    std::filesystem::create_directories(project_ / "broken");
    t::write_text(project_ / "broken" / "metrics.json", "{ not json");
  }
  void TearDown() override { std::filesystem::remove_all(root_); }
  std::filesystem::path root_, project_;
};

TEST_F(OverviewTest, FindsRunsButNotHiddenOrNestedOnes) {
  const auto runs = r::find_runs(project_);
  ASSERT_EQ(runs.size(), 5u);  // broken counts: it has a metrics.json
  EXPECT_EQ(runs[0], project_ / "broken");
  EXPECT_EQ(runs[4], project_ / "sweep" / "wasteful");
  EXPECT_EQ(r::find_runs(project_, 1).size(), 3u) << "depth 1: no sweep/*";
  EXPECT_EQ(r::find_runs(project_ / "mobilevit"),
            std::vector<std::filesystem::path>{project_ / "mobilevit"});
  EXPECT_THROW(r::find_runs(root_ / "missing"), eden::Error);
}

TEST_F(OverviewTest, RanksRunsAndComparesThemWithTheBaseline) {
  const r::Overview ov = r::build_overview(project_);
  ASSERT_EQ(ov.rows.size(), 4u);
  ASSERT_EQ(ov.skipped.size(), 1u);
  EXPECT_EQ(ov.skipped[0].first, project_ / "broken");
  EXPECT_NE(ov.skipped[0].second.find("not valid JSON"), std::string::npos);

  EXPECT_EQ(ov.rows[0].label, "resnet50");  // most accurate first, and the default baseline
  EXPECT_EQ(ov.baseline_index, 0u);
  EXPECT_TRUE(ov.rows[0].is_baseline);
  EXPECT_FALSE(ov.rows[0].delta.has_value());
  EXPECT_EQ(ov.rows[1].label, "mobilevit");
  EXPECT_EQ(ov.rows[2].label, "sweep/small");
  EXPECT_EQ(ov.rows[3].label, "sweep/wasteful");
  EXPECT_TRUE(ov.rows[0].pareto);
  EXPECT_TRUE(ov.rows[1].pareto);
  EXPECT_TRUE(ov.rows[2].pareto);
  EXPECT_FALSE(ov.rows[3].pareto);
  ASSERT_TRUE(ov.rows[1].delta.has_value());
  EXPECT_EQ(ov.rows[1].delta->tradeoff, r::Tradeoff::kTradesAccuracyForEnergy);
  EXPECT_NEAR(ov.rows[1].delta->eag, (0.885 - 0.9573) / (6905436.0 - 380392115.0), 1e-22);
  EXPECT_DOUBLE_EQ(ov.rows[2].accuracy_per_kj, 0.80 / 52.0);

  // The golden files without the broken folder: its error text belongs to the JSON library.
  std::filesystem::remove_all(project_ / "broken");
  const r::Overview clean = r::build_overview(project_);
  t::expect_golden("overview.md", r::overview_markdown(clean, "overview.png"));
  t::expect_golden("overview.csv", r::overview_csv(clean));
  EXPECT_NE(r::overview_markdown(ov).find("## Skipped folders\n\n- broken: "), std::string::npos);
}

TEST_F(OverviewTest, RunsOfAnotherTaskAreShownApartNeverOnTheSameFront) {
  // As `eden run` leaves it: an upstream run on classes 0-4 next to the runs on classes 5-9.
  t::FakeRun upstream;
  upstream.model = "mobilevitv3_xxs";
  upstream.accuracy = 0.99;  // would dominate everything if it were on the same axis
  upstream.energy_j = 1000.0;
  upstream.class_subset = "0,1,2,3,4";
  t::write_fake_run(project_ / "upstream", upstream);
  r::OverviewOptions o;
  o.baseline = project_ / "resnet50";
  const r::Overview ov = r::build_overview(project_, o);
  ASSERT_EQ(ov.rows.size(), 5u);
  EXPECT_EQ(ov.rows.back().label, "upstream");  // after the baseline's task
  EXPECT_EQ(ov.rows.back().task, "fashion-mnist · classes 0,1,2,3,4 · 28 px");
  EXPECT_EQ(ov.rows[0].task, "fashion-mnist · 28 px");
  EXPECT_TRUE(ov.rows.back().pareto) << "alone on its own task's front";
  EXPECT_FALSE(ov.rows.back().delta.has_value()) << "no EAG across tasks";
  for (size_t i = 0; i + 1 < ov.rows.size(); ++i) {
    if (ov.rows[i].label != "sweep/wasteful") EXPECT_TRUE(ov.rows[i].pareto) << ov.rows[i].label;
  }
  for (const auto& p : r::overview_points(ov)) {
    EXPECT_EQ(p.label.find("upstream"), std::string::npos) << "another task in the figure";
  }
  EXPECT_EQ(r::overview_points(ov).size(), 4u);
  const std::string md = r::overview_markdown(ov);
  EXPECT_NE(md.find("## Runs of other tasks"), std::string::npos) << md;
  EXPECT_NE(md.find("Task: fashion-mnist · classes 0,1,2,3,4 · 28 px."), std::string::npos) << md;
  EXPECT_NE(r::overview_csv(ov).find("another-task"), std::string::npos);
}

TEST_F(OverviewTest, BaselineMayLieOutsideTheProject) {
  t::FakeRun outside;
  outside.model = "vit_huge";
  outside.accuracy = 0.99;
  outside.energy_j = 1e9;
  t::write_fake_run(root_ / "elsewhere", outside);
  r::OverviewOptions options;
  options.baseline = root_ / "elsewhere";
  const r::Overview ov = r::build_overview(project_, options);
  ASSERT_EQ(ov.rows.size(), 5u);
  EXPECT_EQ(ov.rows[ov.baseline_index].label, "elsewhere");
  EXPECT_EQ(ov.baseline_rule, "chosen with --baseline");
  for (std::size_t i = 0; i < ov.rows.size(); ++i) {
    EXPECT_EQ(ov.rows[i].delta.has_value(), i != ov.baseline_index);
  }
  // A baseline inside the project is matched, not added twice.
  options.baseline = project_ / "sweep" / ".." / "mobilevit";
  const r::Overview inside = r::build_overview(project_, options);
  EXPECT_EQ(inside.rows.size(), 4u);
  EXPECT_EQ(inside.rows[inside.baseline_index].label, "mobilevit");
  // A named baseline that cannot be read is an error, not a skipped row.
  options.baseline = project_ / "broken";
  EXPECT_THROW(r::build_overview(project_, options), eden::Error);
}

TEST_F(OverviewTest, NoRunsIsAnError) {
  std::filesystem::create_directories(root_ / "empty");
  try {
    r::build_overview(root_ / "empty");
    FAIL() << "expected an error";
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find("no run directory under"), std::string::npos);
  }
}

TEST_F(OverviewTest, SeedsOfAStudyFolderAreOneRowOfMeansWithIntervals) {
  const double acc[] = {0.80, 0.82, 0.84}, energy[] = {50000.0, 52000.0, 57000.0};
  for (int k = 0; k < 3; ++k) {
    t::FakeRun seed;
    seed.model = "small_cnn";
    seed.accuracy = acc[k];
    seed.energy_j = energy[k];
    t::write_fake_run(project_ / "study" / ("seed-" + std::to_string(k + 3)), seed);
  }
  t::write_fake_run(project_ / "lonely" / "seed-0", t::FakeRun{});  // one seed: its own row
  r::OverviewOptions options;
  options.baseline = project_ / "resnet50";
  const r::Overview ov = r::build_overview(project_, options);
  const r::OverviewRow* study = nullptr;
  for (const auto& row : ov.rows) {
    if (row.label == "study") study = &row;
    EXPECT_NE(row.label.rfind("study/", 0), 0u) << "a seed of the study listed alone";
  }
  ASSERT_NE(study, nullptr);
  EXPECT_EQ(study->seed_runs.size(), 3u);
  EXPECT_NEAR(study->run.accuracy, 0.82, 1e-12);
  EXPECT_NEAR(study->run.energy_j, 53000.0, 1e-9);
  // Percentile bootstrap of a mean of 3: within the seeds' range, around the mean.
  EXPECT_GE(study->accuracy_interval.low, 0.80);
  EXPECT_LT(study->accuracy_interval.low, 0.82);
  EXPECT_GT(study->accuracy_interval.high, 0.82);
  EXPECT_LE(study->accuracy_interval.high, 0.84);
  EXPECT_GT(study->energy_interval_j.high, 53000.0);
  ASSERT_TRUE(study->delta.has_value());  // on the means, against the baseline
  EXPECT_NEAR(study->delta->accuracy_delta, 0.82 - 0.9573, 1e-12);
  const std::string md = r::overview_markdown(ov);
  EXPECT_NE(md.find("| study (mean of 3 seeds) | small\\_cnn | 0.8200 ["), std::string::npos) << md;
  EXPECT_NE(md.find("lonely/seed-0"), std::string::npos) << md;
  EXPECT_NE(r::overview_csv(ov).find(",3,0.8"), std::string::npos) << r::overview_csv(ov);
  bool bars = false;
  for (const auto& p : r::overview_points(ov)) bars = bars || p.has_error_bars();
  EXPECT_TRUE(bars);

  options.group_seeds = false;
  EXPECT_EQ(r::build_overview(project_, options).rows.size(), ov.rows.size() + 2);
}

TEST_F(OverviewTest, WritesLeaderboardFiles) {
  const r::Overview ov = r::build_overview(project_);
  const auto files = r::write_overview(ov, root_ / "out");
  EXPECT_TRUE(std::filesystem::exists(files.markdown));
  EXPECT_EQ(eden::read_file(files.csv), r::overview_csv(ov));
  std::string why;
  if (r::figures_available(&why)) {
    ASSERT_TRUE(files.figure.has_value());
    EXPECT_TRUE(std::filesystem::exists(files.figure->png));
    EXPECT_NE(eden::read_file(files.markdown).find("![Project-Wide Overview](overview.png)"),
              std::string::npos);
  } else {
    EXPECT_FALSE(files.figure.has_value());
    EXPECT_EQ(files.figure_note, why);
  }
}

}  // namespace

namespace {

TEST(OverviewWithoutEnergy, WritesTheLeaderboardWithoutAFigure) {
  const auto root = t::fresh_temp_dir("overview_no_energy");
  t::FakeRun none;
  none.energy_j = 0.0;
  none.energy_source = "none";
  t::write_fake_run(root / "a", none);
  none.accuracy = 0.5;
  t::write_fake_run(root / "b", none);
  const auto files = r::write_overview(r::build_overview(root), root);
  EXPECT_FALSE(files.figure.has_value());
  EXPECT_FALSE(files.figure_note.empty());
  EXPECT_TRUE(std::filesystem::exists(files.markdown));
  EXPECT_NE(eden::read_file(files.markdown).find("| n/a |"), std::string::npos)
      << "no energy difference: EAG is not reported";
  std::filesystem::remove_all(root);
}

}  // namespace
