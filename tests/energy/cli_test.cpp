// `eden measure` and `eden env` end to end, through the built binary (EDEN_BINARY).
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fstream>
#include <sstream>
#include <string>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "fake_nvml_control.h"
#include "fake_powercap.h"

namespace eden::energy {
namespace {

using testing::TempDir;

struct Result {
  int exit_status = -1;
  std::string output;  // stdout and stderr
};

// Runs `eden ARGS` with environment assignments `env` ("A=1 B=2 "), without the fake NVML and
// powercap unless the test sets them, so the machine's own hardware does not matter.
Result run_eden(const std::string& args, const std::string& env = "") {
  const std::string command =
      "env -u CUDA_VISIBLE_DEVICES EDEN_NVML_LIBRARY=/nonexistent.so "
      "EDEN_POWERCAP_ROOT=/nonexistent " +
      env + " " + EDEN_BINARY + " " + args + " 2>&1";
  Result result;
  FILE* pipe = popen(command.c_str(), "r");
  if (pipe == nullptr) return result;
  char buffer[4096];
  for (std::size_t n; (n = fread(buffer, 1, sizeof buffer, pipe)) > 0;)
    result.output.append(buffer, n);
  const int status = pclose(pipe);
  result.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return result;
}

nlohmann::json read_json(const std::string& path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return nlohmann::json::parse(text.str());
}

TEST(CliMeasure, SleepOneSecondIsEstimatedAndNonZero) {
  TempDir dir;
  const std::string json_path = dir.path() + "/m.json";
  const Result r = run_eden("measure --json " + json_path + " -- sleep 1");
  ASSERT_EQ(r.exit_status, 0) << r.output;
  EXPECT_NE(r.output.find("estimated"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("co2"), std::string::npos) << r.output;
  const auto json = read_json(json_path);
  EXPECT_NEAR(json["duration_s"].get<double>(), 1.0, 0.25);
  EXPECT_GT(json["energy_j"].get<double>(), 0.0);
  EXPECT_EQ(json["energy_source"], "estimated");
  EXPECT_NEAR(json["energy_kwh"].get<double>(), json["energy_j"].get<double>() / 3.6e6, 1e-15);
  EXPECT_GT(json["co2_kg"].get<double>(), 0.0);
  ASSERT_FALSE(json["components"].empty());
  for (const auto& c : json["components"]) {
    EXPECT_TRUE(c.contains("device") && c.contains("domain") && c.contains("energy_j"));
    EXPECT_EQ(c["source"], "estimated");
  }
  EXPECT_EQ(json["carbon"]["carbon_intensity_source"], "world-default");
  EXPECT_EQ(json["exit_status"], 0);
}

TEST(CliMeasure, ExitStatusIsTheCommands) {
  EXPECT_EQ(run_eden("measure -- false").exit_status, 1);
  EXPECT_EQ(run_eden("measure -- sh -c 'exit 42'").exit_status, 42);
  const Result missing = run_eden("measure -- eden-no-such-command-xyz");
  EXPECT_EQ(missing.exit_status, 127);
  EXPECT_NE(missing.output.find("cannot execute 'eden-no-such-command-xyz'"), std::string::npos)
      << missing.output;
}

TEST(CliMeasure, CarbonOptions) {
  TempDir dir;
  const std::string json_path = dir.path() + "/m.json";
  ASSERT_EQ(
      run_eden("measure --country fra --pue 1.5 --json " + json_path + " -- true").exit_status, 0);
  const auto json = read_json(json_path);
  EXPECT_EQ(json["carbon"]["country_iso3"], "FRA");
  EXPECT_DOUBLE_EQ(json["carbon"]["pue"].get<double>(), 1.5);
  // energy_kwh includes the PUE (as CodeCarbon's energy_consumed); energy_j does not.
  EXPECT_NEAR(json["energy_kwh"].get<double>(), json["energy_j"].get<double>() * 1.5 / 3.6e6,
              1e-15);
  EXPECT_NEAR(json["co2_kg"].get<double>(), json["energy_kwh"].get<double>() * 56.039 / 1000.0,
              1e-15);
  const Result bad = run_eden("measure --country XYZ -- true");
  EXPECT_EQ(bad.exit_status, 1);
  EXPECT_NE(bad.output.find("eden: error: [carbon] unknown country code 'XYZ'"), std::string::npos)
      << bad.output;
}

TEST(CliMeasure, FakeGpuAndRaplAreMeasured) {
  testing::FakePowercap tree;
  tree.add_zone("intel-rapl:0", "package-0", 1'000'000, 5);
  TempDir dir;
  const std::string json_path = dir.path() + "/m.json";
  const std::string csv_path = dir.path() + "/power.csv";
  // Without the counter the fake GPU is sampled at a constant 100 W.
  const Result r = run_eden(
      "measure --interval 20 --json " + json_path + " --power-csv " + csv_path + " -- sleep 0.3",
      std::string("EDEN_NVML_LIBRARY=") + EDEN_FAKE_NVML_PATH +
          " FAKE_NVML_COUNTER=0 FAKE_NVML_POWER_MW=100000 EDEN_POWERCAP_ROOT=" + tree.root());
  ASSERT_EQ(r.exit_status, 0) << r.output;
  const auto json = read_json(json_path);
  EXPECT_EQ(json["energy_source"], "mixed");  // GPU + RAPL package measured, DRAM estimated
  double gpu_j = -1.0;
  for (const auto& c : json["components"]) {
    if (c["device"] == "gpu0") {
      gpu_j = c["energy_j"].get<double>();
      EXPECT_EQ(c["source"], "measured");
      EXPECT_EQ(c["method"], "nvml-power-sampling");
    }
    if (c["device"] == "cpu0") {
      EXPECT_EQ(c["source"], "measured");
    }
  }
  EXPECT_NEAR(gpu_j, 100.0 * json["duration_s"].get<double>(), 1e-6);
  std::ifstream csv(csv_path);
  std::string header;
  std::getline(csv, header);
  EXPECT_EQ(header, "time_s,device,domain,source,power_w");
}

TEST(CliEnv, JsonHasTheReferenceCardFacts) {
  const Result r = run_eden("env --json");
  ASSERT_EQ(r.exit_status, 0) << r.output;
  const auto json = nlohmann::json::parse(r.output);
  for (const char* key : {"gpus", "cpu", "ram_bytes", "os", "meters"}) {
    EXPECT_TRUE(json.contains(key)) << key;
  }
  EXPECT_GT(json["cpu"]["threads"].get<int>(), 0);
  ASSERT_EQ(json["meters"].size(), 4u);
  EXPECT_EQ(json["meters"][0]["name"], "nvml");
  EXPECT_FALSE(json["meters"][0]["in_use"].get<bool>());
  EXPECT_EQ(json["meters"][2]["name"], "estimated-cpu");
  EXPECT_TRUE(json["meters"][2]["in_use"].get<bool>());
}

TEST(CliEnv, TableWithFakeGpu) {
  const Result r = run_eden("env", std::string("EDEN_NVML_LIBRARY=") + EDEN_FAKE_NVML_PATH);
  ASSERT_EQ(r.exit_status, 0) << r.output;
  EXPECT_NE(r.output.find("| Component | Specification |"), std::string::npos);
  EXPECT_NE(r.output.find("| GPU | Fake GPU 0 (16 GiB VRAM, 300 W TDP, 250 W power limit) |"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("| CPU | "), std::string::npos);
  EXPECT_NE(r.output.find("| Meter rapl | not used"), std::string::npos);
}

// An NVML whose init fails (a driver that is missing or mismatched: containers, CI runners) is
// reported and the run goes on without GPU energy. In a child process the library is really
// unloaded by dlclose, so a message read after it would crash here (it did: SIGSEGV).
TEST(CliEnv, NvmlInitFailureFallsBack) {
  const std::string fake = std::string("EDEN_NVML_LIBRARY=") + EDEN_FAKE_NVML_PATH;
  for (const char* args : {"env", "env --json", "measure -- true"}) {
    const Result r = run_eden(args, fake + " FAKE_NVML_INIT_ERROR=9");
    ASSERT_EQ(r.exit_status, 0) << args << ": " << r.output;
    EXPECT_NE(r.output.find("nvmlInit_v2 failed"), std::string::npos) << args << ": " << r.output;
    EXPECT_NE(r.output.find("Driver Not Loaded (code 9)"), std::string::npos) << r.output;
  }
  const Result r = run_eden("env", fake + " FAKE_NVML_INIT_ERROR=9");
  EXPECT_NE(r.output.find("falling back: GPU energy is not measured"), std::string::npos)
      << r.output;
}

// The same with NVIDIA's real library where it is installed without a working driver (the CUDA
// LibTorch chroot of scripts/chroot-build has it). On a machine with a GPU, NVML initialises
// and `eden env` lists it; either way it must not crash.
TEST(CliEnv, RealNvmlWithoutDriverFallsBack) {
  std::string library;
  for (const char* dir : {"/usr/lib/x86_64-linux-gnu", "/usr/lib64", "/usr/lib",
                          "/usr/local/nvidia/lib64", "/usr/lib/x86_64-linux-gnu/nvidia/current"}) {
    const std::string path = std::string(dir) + "/libnvidia-ml.so.1";
    if (access(path.c_str(), R_OK) == 0) {
      library = path;
      break;
    }
  }
  if (library.empty()) GTEST_SKIP() << "NVIDIA's libnvidia-ml.so.1 is not installed here";
  const Result r = run_eden("env", "EDEN_NVML_LIBRARY=" + library);
  ASSERT_EQ(r.exit_status, 0) << library << ": " << r.output;
  const bool driver = access("/dev/nvidiactl", F_OK) == 0;
  if (!driver) {
    EXPECT_NE(r.output.find("[nvml] nvmlInit_v2 failed in " + library), std::string::npos)
        << r.output;
    EXPECT_NE(r.output.find("falling back"), std::string::npos) << r.output;
  }
  const Result train_like = run_eden("measure -- true", "EDEN_NVML_LIBRARY=" + library);
  EXPECT_EQ(train_like.exit_status, 0) << train_like.output;
}

}  // namespace
}  // namespace eden::energy
