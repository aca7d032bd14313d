// `eden launch` and the launcher environment as users meet them: a two-rank run writes one run
// directory; a rank killed with SIGKILL stops the group with a message naming it and the run
// resumes from its checkpoint; bad environments fail clearly within the time-out.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <future>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "../common/image_files.h"
#include "../common/process.h"
#include "../energy/fake_powercap.h"

namespace fs = std::filesystem;

namespace {

constexpr const char* kData = "/usr/share/datasets/fashion-mnist";

struct Result {
  int status = -1;
  std::string output;
  double seconds = 0.0;
};

Result run(const std::string& cmd) {
  Result r;
  const auto t0 = std::chrono::steady_clock::now();
  FILE* p = ::popen((cmd + " 2>&1").c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  r.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  return r;
}

std::string read_file(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

int count_lines(const fs::path& p) {
  const auto text = read_file(p);
  return static_cast<int>(std::count(text.begin(), text.end(), '\n'));
}

size_t count_of(const std::string& text, const std::string& what) {
  size_t n = 0;
  for (size_t at = 0; (at = text.find(what, at)) != std::string::npos; at += what.size()) ++n;
  return n;
}

/// A port that was free a moment ago: different per test and process.
int test_port(int offset) {
  return 20000 + (static_cast<int>(::getpid()) * 7 + offset) % 20000;
}

class Launch : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!fs::exists(kData)) GTEST_SKIP() << kData << " missing (dataset-fashion-mnist)";
#if !EDEN_HAVE_GLOO
    GTEST_SKIP() << "built without Gloo";
#endif
    dir_ = fs::temp_directory_path() /
           ("eden_launch_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::remove_all(dir_);
    fs::create_directories(dir_);
  }
  void TearDown() override {
    fs::remove_all(dir_);
  }
  fs::path dir_;
};

TEST_F(Launch, TwoRanksWriteOneRunDirectory) {
  const auto out = dir_ / "run";
  const auto r =
      run(std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY +
          " launch --nproc 2 --master 127.0.0.1:" + std::to_string(test_port(1)) +
          " -- train --model small_cnn --epochs 2 --train-limit 1024 --eval-limit 256 --out " +
          out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  const auto info = nlohmann::json::parse(read_file(out / "run.json"));
  EXPECT_EQ(info["distributed"]["world_size"], 2);
  EXPECT_EQ(info["distributed"]["machines"], 1);
  EXPECT_EQ(info["effective_batch"], 256);
  EXPECT_EQ(count_lines(out / "log.csv"), 3) << read_file(out / "log.csv");  // header + 2 epochs
  const auto metrics = nlohmann::json::parse(read_file(out / "metrics.json"));
  EXPECT_EQ(metrics["eval_samples"], 256);
  // One summary, from rank 0.
  size_t summaries = 0;
  for (size_t at = 0; (at = r.output.find("run directory:", at)) != std::string::npos; ++at)
    ++summaries;
  EXPECT_EQ(summaries, 1u) << r.output;
}

// A two-rank run leaves one decoded-cache entry (rank 0 stores it) and the next run hits it;
// the load is not metered across ranks.
TEST_F(Launch, RankZeroStoresTheDecodedCacheAndTheNextRunHitsIt) {
  const auto tree = dir_ / "folder";
  for (int k = 0; k < 2; ++k) {
    fs::create_directories(tree / std::to_string(k));
    for (int i = 0; i < 8; ++i) {
      auto rgb = eden::testing::photo_like_rgb(36, 40, static_cast<uint32_t>(10 * k + i));
      for (size_t p = k; p < rgb.size(); p += 3) rgb[p] = 255;
      eden::testing::write_bytes((tree / std::to_string(k) / (std::to_string(i) + ".jpg")).string(),
                                 eden::testing::encode_jpeg(rgb, 36, 40));
    }
  }
  const auto cache = dir_ / "cache";
  auto launch = [&](const std::string& name, int port) {
    const auto r =
        run(std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY +
            " launch --nproc 2 --master 127.0.0.1:" + std::to_string(test_port(port)) +
            " -- train --model small_cnn --epochs 1 --image-size 32 --batch-size 4 "
            "--val-split 0.25 --threads 1 --data " +
            tree.string() + " --data-cache " + cache.string() + " --out " + (dir_ / name).string());
    EXPECT_EQ(r.status, 0) << r.output;
    return nlohmann::json::parse(read_file(dir_ / name / "run.json")).at("data_load");
  };
  const auto first = launch("first", 20);
  EXPECT_EQ(first.at("cache"), "written") << first;
  EXPECT_TRUE(first.at("energy_j").is_null()) << "not metered across ranks";
  std::vector<fs::path> files;
  for (const auto& e : fs::directory_iterator(cache)) files.push_back(e.path());
  EXPECT_EQ(files, std::vector<fs::path>{fs::path(first.at("cache_path").get<std::string>())});
  const auto second = launch("second", 21);
  EXPECT_EQ(second.at("cache"), "hit") << second;
  EXPECT_EQ(second.at("cache_path"), first.at("cache_path"));
}

TEST_F(Launch, KilledRankStopsTheGroupAndTheRunResumes) {
  const auto out = dir_ / "run";
  const auto log = dir_ / "launch.log";
  const std::string args =
      " -- train --model small_cnn --epochs 3 --train-limit 12000 --eval-limit 256 --dist-timeout "
      "20 --out " +
      out.string();
  const pid_t launcher = fork();
  ASSERT_GE(launcher, 0);
  if (launcher == 0) {
    const std::string cmd = std::string("EDEN_NO_PROGRESS=1 exec ") + EDEN_BINARY +
                            " launch --nproc 2 --master 127.0.0.1:" + std::to_string(test_port(2)) +
                            args + " > " + log.string() + " 2>&1";
    execl("/bin/sh", "sh", "-c", cmd.c_str(), static_cast<char*>(nullptr));
    _exit(127);
  }
  // Wait for the first checkpoint, then kill rank 1 in the middle of the second epoch.
  const auto t_start = std::chrono::steady_clock::now();
  while (!fs::exists(out / "checkpoint.pt") &&
         std::chrono::steady_clock::now() - t_start < std::chrono::seconds(120)) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_TRUE(fs::exists(out / "checkpoint.pt")) << read_file(log);
  std::this_thread::sleep_for(std::chrono::milliseconds(300));
  std::smatch m;
  const auto text = read_file(log);
  ASSERT_TRUE(std::regex_search(text, m, std::regex("rank 1 started \\(pid ([0-9]+)\\)"))) << text;
  const pid_t rank1 = static_cast<pid_t>(std::stoi(m[1]));
  const auto t_kill = std::chrono::steady_clock::now();
  ASSERT_EQ(::kill(rank1, SIGKILL), 0);
  int status = 0;
  ASSERT_EQ(::waitpid(launcher, &status, 0), launcher);
  const double stop_s =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - t_kill).count();
  const auto after = read_file(log);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) != 0) << after;
  EXPECT_NE(after.find("rank 1 (pid " + std::to_string(rank1) + ") was killed by signal 9"),
            std::string::npos)
      << after;
  EXPECT_LT(stop_s, 20.0) << "the group took " << stop_s << " s to stop";
  EXPECT_EQ(count_lines(out / "log.csv"), 2) << read_file(out / "log.csv");  // epoch 1 only

  const auto r = run(std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY +
                     " launch --nproc 2 --master 127.0.0.1:" + std::to_string(test_port(3)) +
                     " -- train --resume " + out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(count_lines(out / "log.csv"), 4) << read_file(out / "log.csv");
}

TEST_F(Launch, SigintStopsEveryRankAtTheSameStepAndTheGroupResumes) {
  const auto out = dir_ / "run";
  const std::string launch =
      std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY + " launch --nproc 2 --master 127.0.0.1:";
  const pid_t launcher = eden::testing::spawn(
      launch + std::to_string(test_port(10)) +
          " -- train --model small_cnn --epochs 3 --train-limit 12000 --eval-limit 256 "
          "--dist-timeout 20 --out " +
          out.string(),
      dir_ / "launch.log");
  ASSERT_TRUE(eden::testing::wait_for_file(out / "checkpoint.pt"))
      << read_file(dir_ / "launch.log");
  std::this_thread::sleep_for(std::chrono::milliseconds(500));
  ASSERT_EQ(::kill(launcher, SIGINT), 0);  // as a terminal's Ctrl-C reaches the launcher
  const auto stopped = eden::testing::wait_exit(launcher);
  const auto said = read_file(dir_ / "launch.log");
  EXPECT_EQ(stopped.code, 130) << said;
  EXPECT_LT(stopped.seconds, 15.0) << said;  // no rank waited out a time-out
  EXPECT_EQ(count_of(said, "eden: interrupted: SIGINT during epoch 2"), 1u) << said;
  // No rank failed (the launcher would say so) and no collective broke (a rank stopping alone).
  EXPECT_EQ(said.find("stopping the other ranks"), std::string::npos) << said;
  EXPECT_EQ(said.find("distributed:"), std::string::npos) << said;
  EXPECT_EQ(count_lines(out / "log.csv"), 2) << read_file(out / "log.csv");
  const auto m = nlohmann::json::parse(read_file(out / "metrics.json"));
  EXPECT_GT(m["energy_lost_j"].get<double>(), 0.0) << m.dump(2);

  const auto r = run(launch + std::to_string(test_port(11)) + " -- train --resume " + out.string());
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(count_lines(out / "log.csv"), 4) << read_file(out / "log.csv");
}

TEST_F(Launch, BadEnvironmentsFailClearlyWithinTheTimeout) {
  const std::string train = std::string(" ") + EDEN_BINARY +
                            " train --model small_cnn --epochs 1 --train-limit 256 --eval-limit 64 "
                            "--dist-timeout 2 --out " +
                            (dir_ / "r").string();
  const std::string port = std::to_string(test_port(4));
  auto r = run("RANK=2 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + train);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("RANK=2 is not below WORLD_SIZE=2"), std::string::npos) << r.output;
  r = run("RANK=0 WORLD_SIZE=2 MASTER_ADDR=127.0.0.1 MASTER_PORT=" + port + train);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("rank(s) 1 did not join"), std::string::npos) << r.output;
  EXPECT_LT(r.seconds, 15.0);
  r = run("RANK=0 WORLD_SIZE=2" + train);
  EXPECT_EQ(r.status, 1) << r.output;
  EXPECT_NE(r.output.find("partial torchrun environment"), std::string::npos) << r.output;
  EXPECT_FALSE(fs::exists(dir_ / "r" / "checkpoint.pt"));
}

/// A small three-stage experiment (upstream -> baseline -> candidate with progressive unfreezing).
fs::path write_experiment(const fs::path& dir) {
  const auto path = dir / "experiment.yaml";
  std::ofstream(path) << "name: dp\n"
                         "common: {data: "
                      << kData
                      << ", model: small_cnn, train_limit: 1024, eval_limit: 256, threads: 1}\n"
                         "upstream: {classes: \"0,1,2,3,4\", epochs: 1}\n"
                         "baseline: {classes: \"5,6,7,8,9\", epochs: 1}\n"
                         "candidate: {classes: \"5,6,7,8,9\", epochs: 2, unfreeze_epoch: 1}\n";
  return path;
}

/// What an experiment trained on two ranks of one machine leaves: every stage data-parallel,
/// written once, the card naming the ranks, log.csv the per-machine and per-rank energy.
void expect_two_rank_experiment(const fs::path& out, const Result& r) {
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_EQ(count_of(r.output, "experiment directory:"), 1u) << r.output;
  EXPECT_EQ(count_of(r.output, "[candidate] small_cnn for 2 epochs"), 1u) << r.output;
  for (const char* stage : {"upstream", "baseline", "candidate"}) {
    const auto info = nlohmann::json::parse(read_file(out / stage / "run.json"));
    EXPECT_EQ(info["distributed"]["world_size"], 2) << stage;
    EXPECT_EQ(info["distributed"]["machines"], 1) << stage;
  }
  // The candidate started from the upstream weights rank 0 wrote, on both ranks.
  const auto cand = nlohmann::json::parse(read_file(out / "candidate" / "run.json"));
  EXPECT_EQ(cand["pretrained"]["path"], (out / "upstream" / "model.safetensors").string());
  const auto metrics = nlohmann::json::parse(read_file(out / "candidate" / "metrics.json"));
  EXPECT_GT(metrics["upstream_energy_j"].get<double>(), 0.0);
  EXPECT_EQ(metrics["eval_samples"], 256);
  EXPECT_EQ(metrics["energy_by_rank"].size(), 2u);
  // log.csv: header + 2 epochs, the epoch's energy split by machine and by rank.
  const auto log = read_file(out / "candidate" / "log.csv");
  EXPECT_EQ(count_lines(out / "candidate" / "log.csv"), 3) << log;
  EXPECT_NE(log.find("machine_energy_j"), std::string::npos) << log;
  EXPECT_NE(log.find("rank_energy_j"), std::string::npos) << log;
  const auto card = read_file(out / "candidate" / "README.md");
  EXPECT_NE(card.find("| Data parallel | 2 ranks on 1 machine (gloo"), std::string::npos) << card;
  EXPECT_NE(card.find("data-parallel on 2 ranks on 1 machine"), std::string::npos) << card;
  EXPECT_TRUE(fs::exists(out / "overview.md"));
  EXPECT_TRUE(fs::exists(out / "candidate" / "green_delta.md"));
}

TEST_F(Launch, ExperimentRunsUnderLaunchAndResumesKept) {
  const auto yaml = write_experiment(dir_);
  const auto out = dir_ / "exp";
  const std::string launch =
      std::string("EDEN_NO_PROGRESS=1 ") + EDEN_BINARY + " launch --nproc 2 --master 127.0.0.1:";
  const auto r = run(launch + std::to_string(test_port(7)) + " -- run " + yaml.string() +
                     " --out " + out.string());
  expect_two_rank_experiment(out, r);
  // Again: every stage is complete; all ranks follow rank 0's decision and only report.
  const auto again = run(launch + std::to_string(test_port(8)) + " -- run " + yaml.string() +
                         " --out " + out.string());
  ASSERT_EQ(again.status, 0) << again.output;
  EXPECT_EQ(count_of(again.output, ", kept"), 3u) << again.output;
  EXPECT_EQ(count_lines(out / "candidate" / "log.csv"), 3);
  // A two-rank run resumes with two ranks only: one process is refused, with the fix.
  const auto alone =
      run(std::string(EDEN_BINARY) + " train --resume " + (out / "baseline").string());
  EXPECT_EQ(alone.status, 1) << alone.output;
  EXPECT_NE(alone.output.find("it was trained on 2 rank(s) and this is 1"), std::string::npos)
      << alone.output;
  EXPECT_NE(alone.output.find("eden launch --nproc 2"), std::string::npos) << alone.output;
}

TEST_F(Launch, ExperimentRunsWithTorchrunsVariablesSetByHand) {
  const auto yaml = write_experiment(dir_);
  const auto out = dir_ / "exp";
  const int port = test_port(9);
  auto cmd = [&](int rank) {
    return "EDEN_NO_PROGRESS=1 RANK=" + std::to_string(rank) +
           " WORLD_SIZE=2 LOCAL_RANK=" + std::to_string(rank) +
           " LOCAL_WORLD_SIZE=2 GROUP_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
           std::to_string(port) + " " + EDEN_BINARY + " run " + yaml.string() + " --out " +
           out.string();
  };
  auto r1 = std::async(std::launch::async, run, cmd(1));
  const Result r0 = run(cmd(0));
  const Result other = r1.get();
  ASSERT_EQ(other.status, 0) << other.output;
  EXPECT_EQ(other.output.find("experiment directory:"), std::string::npos) << other.output;
  expect_two_rank_experiment(out, r0);
}

/// Two fake RAPL trees whose package and DRAM counters a thread advances while a run trains
/// (package 1 W, DRAM 0.5 W, in 10 ms steps); energy_j() is what each tree gained so far.
class TickingTrees {
 public:
  TickingTrees() {
    for (auto& t : trees_) {
      t.add_zone("intel-rapl:0", "package-0", 1ULL << 40, 0);
      t.add_zone("intel-rapl:0:0", "dram", 1ULL << 40, 0);
    }
    thread_ = std::thread([this] {
      while (!stop_) {
        std::this_thread::sleep_for(std::chrono::milliseconds(10));
        ticks_ += 1;
        for (auto& t : trees_) {
          set_atomically(t.energy_path("intel-rapl:0"), ticks_ * 10000ULL);
          set_atomically(t.energy_path("intel-rapl:0:0"), ticks_ * 5000ULL);
        }
      }
    });
  }
  ~TickingTrees() {
    stop_ = true;
    thread_.join();
  }
  TickingTrees(const TickingTrees&) = delete;
  TickingTrees& operator=(const TickingTrees&) = delete;
  const std::string& root(int i) const { return trees_[i].root(); }
  /// The meter reads while the thread writes: a rename, never a half-written file.
  static void set_atomically(const std::string& path, uint64_t uj) {
    {
      std::ofstream out(path + ".tmp", std::ios::trunc);
      out << uj << "\n";
    }
    fs::rename(path + ".tmp", path);
  }
  double package_j() const { return static_cast<double>(ticks_.load()) * 0.01; }

 private:
  eden::energy::testing::FakePowercap trees_[2];
  std::atomic<bool> stop_{false};
  std::atomic<uint64_t> ticks_{0};
  std::thread thread_;
};

/// Two `eden train` ranks started by hand with torchrun's variables (no launcher), each with
/// its own node name and powercap root.
std::pair<Result, Result> two_ranks_by_hand(const fs::path& out, int port, const std::string& node0,
                                            const std::string& root0, const std::string& node1,
                                            const std::string& root1) {
  auto cmd = [&](int rank, const std::string& node, const std::string& root) {
    return "EDEN_NO_PROGRESS=1 RANK=" + std::to_string(rank) +
           " WORLD_SIZE=2 LOCAL_RANK=" + std::to_string(rank) +
           " LOCAL_WORLD_SIZE=2 GROUP_RANK=0 MASTER_ADDR=127.0.0.1 MASTER_PORT=" +
           std::to_string(port) + " EDEN_NODE_NAME=" + node + " EDEN_POWERCAP_ROOT=" + root + " " +
           EDEN_BINARY +
           " train --model small_cnn --epochs 1 --train-limit 2048 --eval-limit 256 --threads 1 "
           "--energy-interval-ms 20 --out " +
           out.string();
  };
  auto r1 = std::async(std::launch::async, run, cmd(1, node1, root1));
  Result r0 = run(cmd(0, node0, root0));
  return {r0, r1.get()};
}

double component_j(const nlohmann::json& metrics, const std::string& device,
                   const std::string& domain) {
  double j = 0.0;
  for (const auto& c : metrics["energy_components"]) {
    if (c["device"] == device && c["domain"] == domain) j += c["energy_j"].get<double>();
  }
  return j;
}

TEST_F(Launch, EnergyCountsEachMachinesCountersOnce) {
  TickingTrees trees;
  {  // Both ranks on one machine, one powercap tree: its counters are read by rank 0 only.
    const auto out = dir_ / "one";
    const auto [r0, r1] =
        two_ranks_by_hand(out, test_port(5), "m0", trees.root(0), "m0", trees.root(0));
    ASSERT_EQ(r0.status, 0) << r0.output;
    ASSERT_EQ(r1.status, 0) << r1.output;
    const auto m = nlohmann::json::parse(read_file(out / "metrics.json"));
    EXPECT_EQ(m["energy_by_machine"].size(), 1u) << m["energy_by_machine"];
    EXPECT_NE(m["energy_by_rank"][0]["meters"].get<std::string>().find("rapl"), std::string::npos)
        << m["energy_by_rank"];
    EXPECT_EQ(m["energy_by_rank"][1]["meters"].get<std::string>().find("rapl"), std::string::npos)
        << m["energy_by_rank"];
    const double package = component_j(m, "cpu0", "package");
    EXPECT_GT(package, 0.0) << m["energy_components"];
    // Counted once: at most what the tree gained over the whole run (twice would exceed it).
    EXPECT_LE(package, trees.package_j() * 1.05) << m["energy_components"];
    EXPECT_NEAR(component_j(m, "cpu0", "dram") * 2.0, package, 0.05 * package + 0.05);
  }
  {  // Two machines (names), two trees: both counted, apart.
    const double before = trees.package_j();
    const auto out = dir_ / "two";
    const auto [r0, r1] =
        two_ranks_by_hand(out, test_port(6), "m0", trees.root(0), "m1", trees.root(1));
    ASSERT_EQ(r0.status, 0) << r0.output;
    ASSERT_EQ(r1.status, 0) << r1.output;
    const double gained = trees.package_j() - before;
    const auto m = nlohmann::json::parse(read_file(out / "metrics.json"));
    EXPECT_EQ(m["energy_by_machine"].size(), 2u) << m["energy_by_machine"];
    const double p0 = component_j(m, "m0:cpu0", "package");
    const double p1 = component_j(m, "m1:cpu0", "package");
    EXPECT_GT(p0, 0.0) << m["energy_components"];
    EXPECT_GT(p1, 0.0) << m["energy_components"];
    EXPECT_LE(p0, gained * 1.05);
    EXPECT_LE(p1, gained * 1.05);
    const auto info = nlohmann::json::parse(read_file(out / "run.json"));
    EXPECT_EQ(info["distributed"]["machines"], 2);
  }
}

}  // namespace
