// A study (`eden run` with candidates and repeats) through the `eden` binary: every stage per
// seed in <stage>/seed-<k>, tables with intervals, a card per candidate, an overview of means
// with intervals, and an interrupted study that continues without redoing finished runs.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include <csignal>
#include <fstream>
#include <thread>

#include "../common/process.h"
#include "../common/temp_dir.h"
#include "eden/report/csv_log.h"

namespace fs = std::filesystem;
namespace t = eden::testing;

namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

class Study : public t::TempDirTest {
 protected:
  void SetUp() override {
    if (!fs::exists(kData)) GTEST_SKIP() << kData << " missing (dataset-fashion-mnist)";
    t::TempDirTest::SetUp();
  }
};

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST_F(Study, TwoCandidatesTwoSeedsInterruptedAndContinued) {
  const auto yaml = dir_ / "study.yaml";
  // The baseline of seed 1 is slow enough (2 epochs of 6000 images) to be stopped mid-run.
  std::ofstream(yaml) << "name: study\nrepeats: 2\ncommon: {data: " << kData
                      << ", model: small_cnn, threads: 1, eval_limit: 256, seed: 4}\n"
                         "upstream: {classes: \"0,1,2,3,4\", epochs: 1, train_limit: 512}\n"
                         "baseline: {classes: \"5,6,7,8,9\", epochs: 2, train_limit: 6000}\n"
                         "candidates:\n"
                         "  - {name: e2am, classes: \"5,6,7,8,9\", epochs: 2, train_limit: 512,"
                         " unfreeze_epoch: 1}\n"
                         "  - {name: short, classes: \"5,6,7,8,9\", epochs: 1, train_limit: 512}\n";
  const auto out = dir_ / "exp";
  const std::string cmd = std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY + " run " +
                          yaml.string() + " --out " + out.string();
  const pid_t pid = t::spawn(cmd, dir_ / "run.log");
  ASSERT_TRUE(
      t::wait_for_file(out / "baseline" / "seed-5" / "checkpoint.pt", std::chrono::seconds(300)))
      << t::file_text(dir_ / "run.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  const auto stopped = t::wait_exit(pid);
  const std::string said = t::file_text(dir_ / "run.log");
  ASSERT_EQ(stopped.code, 130) << said;
  EXPECT_NE(said.find("the baseline seed 5 stage: SIGINT"), std::string::npos) << said;
  // Seed 4 is complete: every stage of it ran before seed 5 started.
  for (const char* stage : {"upstream", "baseline", "e2am", "short"}) {
    EXPECT_TRUE(fs::exists(out / stage / "seed-4" / "metrics.json")) << stage;
  }
  EXPECT_FALSE(fs::exists(out / "e2am" / "seed-5"));
  const auto seed4_log = t::file_text(out / "e2am" / "seed-4" / "log.csv");

  const auto again = t::wait_exit(t::spawn(cmd, dir_ / "again.log"));
  const std::string second = t::file_text(dir_ / "again.log");
  ASSERT_EQ(again.code, 0) << second;
  for (const char* stage : {"upstream", "baseline", "e2am", "short"}) {
    EXPECT_NE(second.find(std::string("[") + stage + " seed 4] complete in"), std::string::npos)
        << second;
  }
  EXPECT_NE(second.find("[upstream seed 5] complete in"), std::string::npos) << second;
  EXPECT_NE(second.find("[baseline seed 5] resuming"), std::string::npos) << second;
  EXPECT_EQ(t::file_text(out / "e2am" / "seed-4" / "log.csv"), seed4_log);
  EXPECT_EQ(eden::report::read_csv(out / "baseline" / "seed-5" / "log.csv").second.size(), 2u);

  // The candidate of seed k starts from the upstream run of seed k, and is charged its energy.
  for (const int seed : {4, 5}) {
    const auto m = nlohmann::json::parse(
        t::file_text(out / "e2am" / ("seed-" + std::to_string(seed)) / "metrics.json"));
    EXPECT_EQ(m.value("upstream_run", ""), "upstream/seed-" + std::to_string(seed));
    EXPECT_GT(m.value("upstream_energy_j", 0.0), 0.0);
  }

  // Each candidate: a table of means with intervals over both seeds, and its card.
  for (const char* name : {"e2am", "short"}) {
    const auto table = t::file_text(out / name / "green_delta.md");
    EXPECT_NE(table.find("2 seed(s)"), std::string::npos) << table;
    EXPECT_NE(table.find("paired percentile bootstrap over 2 seed(s), all 4 resamples"),
              std::string::npos)
        << table;
    EXPECT_NE(table.find("| Seeds | 2 | 2 | paired by seed |"), std::string::npos) << table;
    EXPECT_NE(table.find("| 5 | baseline/seed-5 |"), std::string::npos) << table;
    const auto j = nlohmann::json::parse(t::file_text(out / name / "green_delta.json"));
    EXPECT_EQ(j["seeds"], 2);
    ASSERT_EQ(j["per_seed"].size(), 2u);
    // The mean table's accuracy is the mean of the seeds' (what the bootstrap centres on).
    const double mean = (j["per_seed"][0]["model"]["accuracy"].get<double>() +
                         j["per_seed"][1]["model"]["accuracy"].get<double>()) /
                        2;
    EXPECT_NEAR(j["model"]["accuracy"].get<double>(), mean, 1e-12);
    EXPECT_LE(j["intervals"]["model_accuracy"]["low"].get<double>(), mean);
    EXPECT_GE(j["intervals"]["model_accuracy"]["high"].get<double>(), mean);
    const auto card = t::file_text(out / name / "seed-4" / "README.md");
    EXPECT_NE(card.find("seeds: 2"), std::string::npos);
    EXPECT_NE(card.find("Over 2 seeds"), std::string::npos);
    EXPECT_NE(card.find("| Data Preparation (the experiment's, not in the total above) | 2 "
                        "load(s) for 9 stage(s): "),
              std::string::npos)
        << card;
    EXPECT_NE(second.find("model card (" + std::string(name) + "):"), std::string::npos);
  }
  // One overview: a row of means per stage folder, never a seed's run alone.
  const auto overview = t::file_text(out / "overview.md");
  // baseline, e2am, short, and upstream among the other tasks
  EXPECT_EQ(count(overview, "(mean of 2 seeds)"), 4u) << overview;
  EXPECT_EQ(overview.find("seed-4 |"), std::string::npos) << overview;
  const auto [header, rows] = eden::report::read_csv(out / "overview.csv");
  EXPECT_EQ(header.back(), "energy_high_j");
  const auto experiment = nlohmann::json::parse(t::file_text(out / "experiment.json"));
  EXPECT_EQ(experiment["repeats"], 2);
  EXPECT_EQ(experiment["candidates"].size(), 2u);

  // Decoded once per invocation: the continuation's three stages (baseline seed 5 resumed, both
  // candidates of seed 5) share one load, and each invocation printed one load summary.
  EXPECT_EQ(count(said, "data: idx "), 1u) << said;
  EXPECT_EQ(count(second, "data: idx "), 1u) << second;
  EXPECT_EQ(count(second, "the load of the baseline seed 5 stage, reused"), 2u) << second;
  const auto& prep = experiment["data_preparation"];
  ASSERT_EQ(prep.size(), 2u) << prep.dump(2);
  EXPECT_EQ(prep[0]["stages"].size(), 6u) << prep.dump(2);  // seed 4's four, seed 5's two
  EXPECT_EQ(prep[1]["stages"], nlohmann::json({"baseline seed 5", "e2am seed 5", "short seed 5"}));
  EXPECT_GT(prep[1]["load_s"].get<double>(), 0.0);
  const auto run_json = nlohmann::json::parse(t::file_text(out / "short" / "seed-5" / "run.json"));
  EXPECT_EQ(run_json["data_load"]["shared_from"], "baseline seed 5");

  // Changing the layout of an existing directory is refused, naming the folder.
  const auto once = t::wait_exit(t::spawn(cmd + " --repeats 1", dir_ / "once.log"));
  EXPECT_EQ(once.code, 1);
  EXPECT_NE(t::file_text(dir_ / "once.log").find("holds seed-<k> runs"), std::string::npos)
      << t::file_text(dir_ / "once.log");
}

}  // namespace
