// `eden compare|card|overview` in process and through the binary (once it registers them): bad
// input gives a one-line error and a non-zero exit, good input writes the files.
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <CLI/CLI.hpp>
#include <array>
#include <cstdio>

#include "eden/util/check.h"
#include "fake_run.h"

namespace eden::cli {
// Defined in src/eden/cli/report_commands.cpp (and declared in commands.h).
void register_compare_command(CLI::App& root, int& exit_code);
void register_card_command(CLI::App& root, int& exit_code);
void register_overview_command(CLI::App& root, int& exit_code);
}  // namespace eden::cli

namespace {

namespace t = eden::testing;
namespace fs = std::filesystem;

struct Result {
  int status = -1;
  std::string output;  // stdout + stderr
};

Result run_eden(const std::string& args) {
  const std::string cmd = std::string(EDEN_BINARY) + " " + args + " 2>&1";
  Result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  std::size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

/// Parses `args` with the three report commands registered; returns the exit code or throws
/// what the command throws (main() turns an eden::Error into "eden: error: ..." and exit 1).
int run_in_process(std::vector<std::string> args) {
  CLI::App app{"eden"};
  app.require_subcommand(1);
  int exit_code = 0;
  eden::cli::register_compare_command(app, exit_code);
  eden::cli::register_card_command(app, exit_code);
  eden::cli::register_overview_command(app, exit_code);
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  app.parse(args);
  return exit_code;
}

std::string error_of(const std::vector<std::string>& args) {
  try {
    run_in_process(args);
  } catch (const eden::Error& e) {
    return e.what();
  }
  return "";
}

class ReportCli : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = t::fresh_temp_dir("cli");
    t::FakeRun base;
    base.model = "resnet50";
    base.accuracy = 0.9573;
    base.energy_j = 380392115.0;
    t::write_fake_run(root_ / "runs" / "base", base);
    t::write_fake_run(root_ / "runs" / "model", t::FakeRun{});
  }
  void TearDown() override { fs::remove_all(root_); }
  std::string path(const std::string& rel) const { return (root_ / rel).string(); }
  fs::path root_;
};

TEST_F(ReportCli, BadRunDirectoryIsAOneLineError) {
  for (const auto& args : std::vector<std::vector<std::string>>{
           {"compare", path("nope"), "--baseline", path("runs/base")},
           {"compare", path("runs/model"), "--baseline", path("runs")},
           {"card", path("nope"), "--baseline", path("runs/base"), "--no-figures"},
           {"overview", path("nope")},
       }) {
    const std::string e = error_of(args);
    EXPECT_FALSE(e.empty()) << args[0] << " " << args[1];
    EXPECT_EQ(e.find('\n'), std::string::npos) << e;
  }
  EXPECT_NE(error_of({"compare", path("runs/model"), "--baseline", path("runs")})
                .find("is not a run directory: no metrics.json"),
            std::string::npos);
  EXPECT_THROW(run_in_process({"compare", path("runs/model")}), CLI::RequiredError);
}

TEST_F(ReportCli, CommandsWriteTheirFiles) {
  testing::internal::CaptureStdout();
  EXPECT_EQ(run_in_process({"compare", path("runs/model"), "--baseline", path("runs/base"), "--out",
                            path("delta")}),
            0);
  EXPECT_EQ(run_in_process({"card", path("runs/model"), "--baseline", path("runs/base"),
                            "--no-figures", "--hub-id", "me/model"}),
            0);
  EXPECT_EQ(run_in_process({"overview", path("runs"), "--out", path("ov")}), 0);
  const std::string out = testing::internal::GetCapturedStdout();
  EXPECT_NE(out.find("| Accuracy | 0.9573 | 0.8850 | -7.23 pp |"), std::string::npos) << out;
  EXPECT_TRUE(fs::exists(root_ / "delta" / "green_delta.md"));
  EXPECT_TRUE(fs::exists(root_ / "delta" / "green_delta.json"));
  EXPECT_TRUE(fs::exists(root_ / "runs" / "model" / "README.md"));
  EXPECT_TRUE(fs::exists(root_ / "ov" / "overview.md"));
  EXPECT_TRUE(fs::exists(root_ / "ov" / "overview.csv"));
}

TEST_F(ReportCli, BinaryGivesOneLineErrorAndNonZeroExit) {
  if (run_eden("--help").output.find("compare") == std::string::npos) {
    GTEST_SKIP() << "this eden binary does not register compare/card/overview yet "
                    "(register_all_commands in src/eden/cli/commands.cpp)";
  }
  for (const std::string& args :
       {"compare " + path("nope") + " --baseline " + path("runs/base"),
        "card " + path("runs") + " --baseline " + path("runs/base"), "overview " + path("nope")}) {
    const Result r = run_eden(args);
    EXPECT_EQ(r.status, 1) << r.output;
    EXPECT_EQ(r.output.rfind("eden: error: ", 0), 0u) << r.output;
    EXPECT_EQ(r.output.find('\n'), r.output.size() - 1) << "one line: " << r.output;
  }
  const Result ok =
      run_eden("compare " + path("runs/model") + " --baseline " + path("runs/base") + " --json");
  EXPECT_EQ(ok.status, 0) << ok.output;
  EXPECT_NE(ok.output.find("\"tradeoff\": \"trades_accuracy_for_energy\""), std::string::npos);
}

}  // namespace
