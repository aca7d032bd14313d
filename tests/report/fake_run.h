// Fake run directories for the report tests: the files `eden train` writes (metrics.json,
// config.yaml, log.csv, run.json, env.json, classes.txt) with chosen numbers, no training.
#pragma once

#include <gtest/gtest.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "eden/util/fs.h"

namespace eden::testing {

namespace fs = std::filesystem;

struct FakeRun {
  std::string model = "mobilevitv3_xxs";
  std::string data = "fashion-mnist";
  double accuracy = 0.885;
  double macro_f1 = 0.882;
  double top5 = 0.995;
  double energy_j = 6905436.0;
  double intensity_g_per_kwh = 475.0;
  std::string energy_source = "measured";
  std::string country_iso3;
  std::string country_name;
  int epochs = 4;
  int unfreeze_epoch = 0;
  bool amp = false;
  double l1 = 0.0;
  int accum = 1;
  int batch_size = 64;
  double duration_s = 10333.0;
  double sparsity = 0.125;
  std::string device = "cuda";
  std::string pretrained;  // config.yaml "pretrained" (not written when empty)
  std::vector<std::string> classes = {"T-shirt/top", "Trouser", "Pullover"};
  bool with_env = true;
  bool with_run_info = true;
  std::string started_at = "2025-03-01T10:00:00Z";
  int ranks = 1;             // > 1: run.json "distributed", as a data-parallel run writes it
  std::string class_subset;  // config.yaml "classes" (not written when empty)
  int eval_limit = 0;
  std::vector<std::string> machines = {"node-a"};

  double co2_kg() const { return energy_j / 3.6e6 * intensity_g_per_kwh / 1000.0; }
};

/// The `eden env --json` of an imaginary workstation (the reference card's).
inline nlohmann::json fake_env() {
  return {
      {"cpu",
       {{"model", "Intel(R) Xeon(R) W-2125 CPU @ 4.00GHz"},
        {"sockets", 1},
        {"cores", 4},
        {"threads", 8},
        {"clock_mhz", 4000.0},
        {"clock_source", "cpuinfo"}}},
      {"gpus",
       {{{"index", 0},
         {"name", "NVIDIA GeForce GTX 1080 Ti"},
         {"uuid", "GPU-0"},
         {"memory_bytes", 11811160064.0},
         {"power_limit_w", 250.0},
         {"default_power_limit_w", 250.0},
         {"method", "energy counter"}}}},
      {"nvml_driver_version", "535.00"},
      {"ram_bytes", 68353875968.0},
      {"os", "Windows 10"},
      {"meters", nlohmann::json::array()},
      {"warnings", nlohmann::json::array()},
  };
}

inline void write_text(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::binary);
  out << text;
  ASSERT_TRUE(out.good()) << path;
}

/// Writes `run` into `dir` (created) and returns `dir`.
inline fs::path write_fake_run(const fs::path& dir, const FakeRun& run) {
  fs::create_directories(dir);
  nlohmann::json per_class = nlohmann::json::object();
  for (std::size_t i = 0; i < run.classes.size(); ++i) {
    per_class[run.classes[i]] = 0.8 + 0.05 * static_cast<double>(i);
  }
  nlohmann::json metrics = {
      {"model", run.model},
      {"data", run.data},
      {"parameters", 1249448},
      {"epochs", run.epochs},
      {"unfreeze_epoch", run.unfreeze_epoch},
      {"device", run.device},
      {"eval_top1", run.accuracy},
      {"eval_top5", run.top5},
      {"eval_f1", run.macro_f1},
      {"eval_loss", 0.35},
      {"per_class_accuracy", per_class},
      {"epochs_completed", run.epochs},
      {"final_phase", "full"},
      {"sparsity", run.sparsity},
      {"duration_s", run.duration_s},
      {"energy_j", run.energy_j},
      {"energy_kwh", run.energy_j / 3.6e6},
      {"co2_kg", run.co2_kg()},
      {"energy_source", run.energy_source},
      {"energy_components",
       {{{"device", "gpu0"},
         {"domain", "gpu"},
         {"source", run.energy_source},
         {"energy_j", run.energy_j * 0.8}},
        {{"device", "cpu"},
         {"domain", "package"},
         {"source", run.energy_source},
         {"energy_j", run.energy_j * 0.2}}}},
      {"carbon",
       {{"energy_kwh", run.energy_j / 3.6e6},
        {"co2_kg", run.co2_kg()},
        {"pue", 1.0},
        {"carbon_intensity_g_per_kwh", run.intensity_g_per_kwh},
        {"carbon_intensity_source", run.country_iso3.empty() ? "world-default" : "country"},
        {"country_iso3", run.country_iso3},
        {"country_name", run.country_name},
        {"carbon_intensity_year", 2019},
        {"carbon_intensity_reference", "world average 475 gCO2eq/kWh (IEA 2019)"}}},
      {"updated_at", "2025-03-01T12:52:13Z"},
  };
  write_text(dir / "metrics.json", metrics.dump(2) + "\n");

  // JSON strings are valid YAML double-quoted scalars, so hostile names stay intact.
  auto quoted = [](const std::string& s) { return nlohmann::json(s).dump(); };
  std::string config = fmt::format(
      "model: {}\ndata: {}\nepochs: {}\nbatch_size: {}\naccum: {}\n"
      "optimizer: \"adamw\"\nlr: 0.002\nschedule: \"cosine\"\nunfreeze_epoch: {}\n"
      "unfreeze_lr_decay: 0.1\nfrozen_bn: \"eval\"\namp: {}\nl1: {}\npreload: \"host\"\n"
      "country: {}\npue: 1\n",
      quoted(run.model), quoted("/data/" + run.data), run.epochs, run.batch_size, run.accum,
      run.unfreeze_epoch, run.amp ? "true" : "false", run.l1 > 0 ? fmt::format("{}", run.l1) : "0",
      quoted(run.country_iso3));
  if (!run.pretrained.empty()) config += "pretrained: " + quoted(run.pretrained) + "\n";
  if (!run.class_subset.empty()) config += "classes: " + quoted(run.class_subset) + "\n";
  if (run.eval_limit > 0) config += fmt::format("eval_limit: {}\n", run.eval_limit);
  write_text(dir / "config.yaml", config);

  std::string log =
      "epoch,phase,lr,train_loss,eval_top1,eval_f1,epoch_time_s,energy_j,energy_cum_j,"
      "co2_kg_cum,energy_source\n";
  for (int e = 0; e < run.epochs; ++e) {
    const double frac = static_cast<double>(e + 1) / run.epochs;
    const double acc = run.accuracy - 0.2 * (1.0 - frac);
    log += fmt::format("{},{},2.000000e-03,{},{},{},{},{},{},{},{}\n", e,
                       e < run.unfreeze_epoch ? "frozen" : "full", 1.0 - 0.5 * frac, acc,
                       acc - 0.01, run.duration_s / run.epochs, run.energy_j / run.epochs,
                       run.energy_j * frac, run.co2_kg() * frac, run.energy_source);
  }
  write_text(dir / "log.csv", log);

  if (run.with_run_info) {
    nlohmann::json info = {
        {"eden_version", "0.1.0"},
        {"torch_version", "1.13.0"},
        {"model", run.model},
        {"parameters", 1249448},
        {"data", run.data},
        {"num_classes", run.classes.size()},
        {"image_shape", {1, 28, 28}},
        {"train_samples", 60000},
        {"eval_samples", 10000},
        {"device", run.device},
        {"threads", 8},
        {"preload", "host"},
        {"amp_dtype", run.amp ? "Half" : "none"},
        {"loss_scaling", run.amp && run.device == "cuda"},
        {"effective_batch", run.batch_size * run.accum * run.ranks},
        {"started_at", run.started_at},
    };
    if (run.ranks > 1) {
      info["distributed"] = {{"backend", "gloo"},
                             {"launcher", "slurm"},
                             {"world_size", run.ranks},
                             {"machines", run.machines.size()},
                             {"machine_names", run.machines},
                             {"batch_per_rank", run.batch_size}};
    }
    write_text(dir / "run.json", info.dump(2) + "\n");
  }
  if (run.with_env) write_text(dir / "env.json", fake_env().dump(2) + "\n");
  std::string classes;
  for (const auto& c : run.classes) classes += c + "\n";
  write_text(dir / "classes.txt", classes);
  return dir;
}

/// A fresh, empty temporary folder for one test (removed by the caller's fixture or left in
/// /tmp for inspection when a test fails).
inline fs::path fresh_temp_dir(const std::string& name) {
  const fs::path dir =
      fs::temp_directory_path() / fmt::format("eden_report_{}_{}", ::getpid(), name);
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

/// Compares `actual` with tests/report/golden/<name>; EDEN_UPDATE_GOLDEN=1 rewrites the file.
inline void expect_golden(const std::string& name, const std::string& actual) {
  const fs::path path = fs::path(EDEN_SOURCE_DIR) / "tests" / "report" / "golden" / name;
  const char* update = std::getenv("EDEN_UPDATE_GOLDEN");
  if (update != nullptr && std::string(update) == "1") {
    write_file_atomic(path, actual);
    return;
  }
  ASSERT_TRUE(fs::exists(path)) << path << " is missing; run the test with EDEN_UPDATE_GOLDEN=1";
  const std::string expected = read_file(path);
  EXPECT_EQ(actual, expected) << "differs from " << path
                              << "; if the change is intended, rerun with EDEN_UPDATE_GOLDEN=1";
}

}  // namespace eden::testing
