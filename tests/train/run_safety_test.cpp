// A run directory has one writer, and a run stopped by a signal keeps what it finished, counts
// the energy it spent, says how to continue, and continues: the `eden` binary as users meet it.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../common/process.h"
#include "../common/temp_dir.h"
#include "eden/report/csv_log.h"

namespace fs = std::filesystem;
namespace t = eden::testing;

namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

class RunSafety : public t::TempDirTest {
 protected:
  void SetUp() override {
    if (!fs::exists(kData)) GTEST_SKIP() << kData << " missing (dataset-fashion-mnist)";
    t::TempDirTest::SetUp();
  }
  /// `eden train` on Fashion-MNIST, slow enough (a few s per epoch) to be signalled mid-epoch.
  std::string train_cmd(const fs::path& out, int epochs) const {
    return std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY +
           " train --model small_cnn --threads 1 --train-limit 12000 --eval-limit 512 --epochs " +
           std::to_string(epochs) + " --out " + out.string();
  }
};

double log_energy_j(const fs::path& run) {
  const auto [header, rows] = eden::report::read_csv(run / "log.csv");
  size_t col = header.size();
  for (size_t i = 0; i < header.size(); ++i) col = header[i] == "energy_j" ? i : col;
  double sum = 0.0;
  for (const auto& r : rows) sum += std::stod(r.at(col));
  return sum;
}

size_t log_rows(const fs::path& run) {
  return eden::report::read_csv(run / "log.csv").second.size();
}

nlohmann::json metrics_of(const fs::path& run) {
  return nlohmann::json::parse(t::file_text(run / "metrics.json"));
}

TEST_F(RunSafety, SecondWriterIsRefusedWhileTheFirstRuns) {
  const auto out = dir_ / "same";
  const pid_t first = t::spawn(train_cmd(out, 2), dir_ / "first.log");
  ASSERT_TRUE(t::wait_for_file(out / "eden.lock")) << t::file_text(dir_ / "first.log");
  const pid_t second = t::spawn(train_cmd(out, 2), dir_ / "second.log");
  const auto refused = t::wait_exit(second);
  const std::string said = t::file_text(dir_ / "second.log");
  EXPECT_EQ(refused.code, 1) << said;
  EXPECT_LT(refused.seconds, 20.0) << "the second writer must stop at once, not after training";
  EXPECT_NE(said.find("is in use by process " + std::to_string(first)), std::string::npos) << said;
  const auto done = t::wait_exit(first);
  EXPECT_EQ(done.code, 0) << t::file_text(dir_ / "first.log");
  // The first run's files are its own: one header, two epochs.
  const auto log = t::file_text(out / "log.csv");
  EXPECT_EQ(std::count(log.begin(), log.end(), '\n'), 3) << log;
  // Its lock ended with it: the run resumes (complete, nothing to do) without a complaint.
  EXPECT_EQ(t::wait_exit(t::spawn(std::string(EDEN_BINARY) + " train --resume " + out.string(),
                                  dir_ / "again.log"))
                .code,
            0)
      << t::file_text(dir_ / "again.log");
}

TEST_F(RunSafety, SigintStopsAtAStepKeepsTheEpochCountsTheEnergyAndResumes) {
  const auto out = dir_ / "run";
  const pid_t pid = t::spawn(train_cmd(out, 3), dir_ / "run.log");
  ASSERT_TRUE(t::wait_for_file(out / "checkpoint.pt")) << t::file_text(dir_ / "run.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));  // into epoch 2
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  const auto stopped = t::wait_exit(pid);
  const std::string said = t::file_text(dir_ / "run.log");
  EXPECT_EQ(stopped.code, 130) << said;
  EXPECT_LT(stopped.seconds, 10.0) << said;
  EXPECT_NE(said.find("eden: interrupted: SIGINT during epoch 2 (batch "), std::string::npos)
      << said;
  EXPECT_NE(said.find("after epoch 1 of 3 (the last complete one)"), std::string::npos) << said;
  EXPECT_NE(said.find("continue with: eden train --resume " + out.string()), std::string::npos)
      << said;
  // The partial epoch's energy is spent and counted, apart from the finished epoch's.
  ASSERT_EQ(log_rows(out), 1u);
  auto m = metrics_of(out);
  const double lost = m["energy_lost_j"].get<double>();
  EXPECT_GT(lost, 0.0) << m.dump(2);
  // log.csv holds 6 significant digits.
  EXPECT_NEAR(m["energy_j"].get<double>(), log_energy_j(out) + lost,
              1e-5 * m["energy_j"].get<double>());

  const auto resumed = t::wait_exit(
      t::spawn(std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY + " train --resume " + out.string(),
               dir_ / "resume.log"));
  ASSERT_EQ(resumed.code, 0) << t::file_text(dir_ / "resume.log");
  EXPECT_EQ(log_rows(out), 3u);
  m = metrics_of(out);
  EXPECT_EQ(m["epochs_completed"], 3);
  EXPECT_DOUBLE_EQ(m["energy_lost_j"].get<double>(), lost);
  EXPECT_NEAR(m["energy_j"].get<double>(), log_energy_j(out) + lost,
              1e-5 * m["energy_j"].get<double>());
}

TEST_F(RunSafety, KillMinus9MidEpochIsCountedFromTheJournalOnResume) {
  const auto out = dir_ / "run";
  const pid_t pid = t::spawn("EDEN_ENERGY_JOURNAL_S=0.3 " + train_cmd(out, 3), dir_ / "run.log");
  ASSERT_TRUE(t::wait_for_file(out / "checkpoint.pt")) << t::file_text(dir_ / "run.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(1500));  // journal lines of epoch 2
  ASSERT_EQ(::kill(pid, SIGKILL), 0);
  EXPECT_EQ(t::wait_exit(pid).signal, SIGKILL);
  ASSERT_EQ(log_rows(out), 1u);
  const double committed_j = metrics_of(out)["energy_j"].get<double>();
  const auto resumed = t::wait_exit(
      t::spawn(std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY + " train --resume " + out.string(),
               dir_ / "resume.log"));
  const std::string said = t::file_text(dir_ / "resume.log");
  ASSERT_EQ(resumed.code, 0) << said;
  EXPECT_NE(said.find("counted as lost work"), std::string::npos) << said;
  const auto m = metrics_of(out);
  const double lost = m["energy_lost_j"].get<double>();
  EXPECT_GT(lost, 0.0) << m.dump(2);
  // Spent = the three finished epochs + the lost part of epoch 2: more than the work kept.
  EXPECT_NEAR(m["energy_j"].get<double>(), log_energy_j(out) + lost,
              1e-5 * m["energy_j"].get<double>());
  EXPECT_GT(m["energy_j"].get<double>(), log_energy_j(out));
  EXPECT_GT(committed_j + lost, committed_j);
  double components_j = 0.0;
  for (const auto& c : m["energy_components"]) components_j += c["energy_j"].get<double>();
  EXPECT_NEAR(components_j, m["energy_j"].get<double>(), 1e-6 * components_j);
}

TEST_F(RunSafety, SigtermInTheFirstEpochSaysNothingCanBeResumed) {
  const auto out = dir_ / "run";
  const pid_t pid = t::spawn(train_cmd(out, 2), dir_ / "run.log");
  ASSERT_TRUE(t::wait_for_file(out / "run.json")) << t::file_text(dir_ / "run.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(pid, SIGTERM), 0);
  const auto stopped = t::wait_exit(pid);
  const std::string said = t::file_text(dir_ / "run.log");
  EXPECT_EQ(stopped.code, 143) << said;
  EXPECT_NE(said.find("SIGTERM during epoch 1"), std::string::npos) << said;
  EXPECT_NE(said.find("nothing can be resumed; run the same command again"), std::string::npos)
      << said;
  EXPECT_FALSE(fs::exists(out / "checkpoint.pt"));
  // Run again as told: it starts over in the same directory.
  EXPECT_EQ(t::wait_exit(t::spawn(train_cmd(out, 1), dir_ / "again.log")).code, 0)
      << t::file_text(dir_ / "again.log");
}

TEST_F(RunSafety, ASecondSignalEndsAtOnce) {
  const auto out = dir_ / "run";
  // ResNet-50 steps take about a second here: the second signal comes before the first stop.
  const pid_t pid = t::spawn(std::string(EDEN_BINARY) +
                                 " train --model resnet50 --threads 1 --batch-size 64 "
                                 "--train-limit 1024 --eval-limit 64 --epochs 1 --out " +
                                 out.string(),
                             dir_ / "run.log");
  ASSERT_TRUE(t::wait_for_file(out / "run.json")) << t::file_text(dir_ / "run.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  std::this_thread::sleep_for(std::chrono::milliseconds(100));  // signals do not queue
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  const auto ended = t::wait_exit(pid);
  EXPECT_EQ(ended.signal, SIGINT) << t::file_text(dir_ / "run.log");
  EXPECT_LT(ended.seconds, 5.0);
}

TEST_F(RunSafety, ExperimentStopsInItsStageAndContinuesFromIt) {
  const auto yaml = dir_ / "exp.yaml";
  std::ofstream(yaml) << "name: safety\ncommon: {data: " << kData
                      << ", model: small_cnn, threads: 1, eval_limit: 512}\n"
                         "upstream: {classes: \"0,1,2,3,4\", epochs: 1, train_limit: 2048}\n"
                         "baseline: {classes: \"5,6,7,8,9\", epochs: 3, train_limit: 12000}\n"
                         "candidate: {classes: \"5,6,7,8,9\", epochs: 2, train_limit: 2048, "
                         "unfreeze_epoch: 1}\n";
  const auto out = dir_ / "exp";
  const std::string cmd = std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY + " run " +
                          yaml.string() + " --out " + out.string();
  const pid_t pid = t::spawn(cmd, dir_ / "run.log");
  ASSERT_TRUE(t::wait_for_file(out / "baseline" / "checkpoint.pt"))
      << t::file_text(dir_ / "run.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(::kill(pid, SIGINT), 0);
  const auto stopped = t::wait_exit(pid);
  const std::string said = t::file_text(dir_ / "run.log");
  EXPECT_EQ(stopped.code, 130) << said;
  EXPECT_NE(said.find("the baseline stage: SIGINT during epoch 2"), std::string::npos) << said;
  EXPECT_NE(said.find("continue the experiment with: eden run " + yaml.string() + " --out " +
                      out.string()),
            std::string::npos)
      << said;
  EXPECT_EQ(said.find("eden train --resume"), std::string::npos) << said;
  EXPECT_FALSE(fs::exists(out / "candidate"));

  const auto again = t::wait_exit(t::spawn(cmd, dir_ / "again.log"));
  const std::string second = t::file_text(dir_ / "again.log");
  ASSERT_EQ(again.code, 0) << second;
  EXPECT_NE(second.find("[upstream] complete in"), std::string::npos) << second;
  EXPECT_NE(second.find("[baseline] resuming"), std::string::npos) << second;
  EXPECT_EQ(log_rows(out / "baseline"), 3u);
  EXPECT_GT(metrics_of(out / "baseline")["energy_lost_j"].get<double>(), 0.0);
  EXPECT_TRUE(fs::exists(out / "candidate" / "README.md"));
}

}  // namespace
