// The `eden` binary as a user runs it: help, a real run on a tiny IDX folder, eval, and bad
// input that must give a one-line error and a non-zero exit (never a crash or a trace).
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zlib.h>

#include <array>
#include <cctype>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>

#include <nlohmann/json.hpp>

#include "../common/image_files.h"
#include "../common/synthetic.h"
#include "eden/report/csv_log.h"
#include "eden/util/fs.h"

namespace fs = std::filesystem;

namespace {

struct Result {
  int status = -1;
  std::string output;  // stdout + stderr
};

Result run_eden(const std::string& args) {
  const std::string cmd = std::string(EDEN_BINARY) + " " + args + " 2>&1";
  Result r;
  FILE* p = ::popen(cmd.c_str(), "r");
  std::array<char, 4096> buf{};
  size_t n = 0;
  while ((n = std::fread(buf.data(), 1, buf.size(), p)) > 0) r.output.append(buf.data(), n);
  const int st = ::pclose(p);
  r.status = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
  return r;
}

void write_idx(const fs::path& path, const torch::Tensor& t) {
  std::vector<uint8_t> b = {0, 0, 0x08, static_cast<uint8_t>(t.dim())};
  for (int64_t d : t.sizes()) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  }
  auto c = t.contiguous();
  b.insert(b.end(), c.data_ptr<uint8_t>(), c.data_ptr<uint8_t>() + c.numel());
  gzFile f = gzopen(path.c_str(), "wb");
  gzwrite(f, b.data(), static_cast<unsigned>(b.size()));
  gzclose(f);
}

/// A tiny MNIST-layout folder made from the synthetic blocks data.
fs::path make_idx_folder(const fs::path& dir) {
  fs::create_directories(dir);
  auto s = eden::testing::make_blocks_splits(256, 64, 10);
  write_idx(dir / "train-images-idx3-ubyte.gz", s.train.images.squeeze(1));
  write_idx(dir / "train-labels-idx1-ubyte.gz", s.train.labels.to(torch::kUInt8));
  write_idx(dir / "t10k-images-idx3-ubyte.gz", s.test.images.squeeze(1));
  write_idx(dir / "t10k-labels-idx1-ubyte.gz", s.test.labels.to(torch::kUInt8));
  return dir;
}

class Cli : public ::testing::Test {
 protected:
  static void SetUpTestSuite() {
    root_ = fs::temp_directory_path() / ("eden_cli_" + std::to_string(::getpid()));
    fs::remove_all(root_);
    data_ = make_idx_folder(root_ / "data");
  }
  static void TearDownTestSuite() { fs::remove_all(root_); }

  static void expect_clean_error(const Result& r, const std::string& fragment) {
    EXPECT_NE(r.status, 0) << r.output;
    EXPECT_LT(r.status, 128) << "crashed: " << r.output;
    EXPECT_NE(r.output.find(fragment), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("terminate called"), std::string::npos) << r.output;
    EXPECT_EQ(r.output.find("Exception raised from"), std::string::npos) << r.output;
  }

  static inline fs::path root_, data_;
};

}  // namespace

TEST_F(Cli, HelpListsEveryCommand) {
  const auto r = run_eden("--help");
  EXPECT_EQ(r.status, 0);
  for (const char* cmd : {"train", "eval", "models", "run"}) {
    EXPECT_NE(r.output.find(cmd), std::string::npos) << cmd;
  }
  const auto t = run_eden("train --help");
  EXPECT_EQ(t.status, 0);
  for (const char* flag : {"--unfreeze-epoch", "--accum", "--amp", "--l1", "--resume"}) {
    EXPECT_NE(t.output.find(flag), std::string::npos) << flag;
  }
}

TEST_F(Cli, ModelsListsParameterCounts) {
  const auto r = run_eden("models");
  EXPECT_EQ(r.status, 0);
  EXPECT_NE(r.output.find("25557032"), std::string::npos) << r.output;  // resnet50, torchvision
}

TEST_F(Cli, EmissionsCsvUnderAPueIsCodeCarbonsArithmeticAndAgreesWithMetrics) {
  const auto out = root_ / "pue";
  const auto r = run_eden("train --data " + data_.string() + " --out " + out.string() +
                          " --epochs 1 --batch-size 32 --threads 1 --pue 1.5");
  ASSERT_EQ(r.status, 0) << r.output;
  const auto [header, rows] = eden::report::read_csv(out / "emissions.csv");
  ASSERT_EQ(rows.size(), 1u);
  std::map<std::string, double> row;
  for (size_t i = 0; i < header.size(); ++i) {
    if (!rows[0][i].empty() && (std::isdigit(static_cast<unsigned char>(rows[0][i][0])) != 0))
      row[header[i]] = std::stod(rows[0][i]);
  }
  const auto m = nlohmann::json::parse(eden::read_file(out / "metrics.json"));
  const double energy_j = m["energy_j"].get<double>();
  ASSERT_GT(energy_j, 0.0);
  // CodeCarbon: each component's kWh x PUE, energy_consumed their sum, CO2 from it.
  EXPECT_NEAR(row["energy_consumed"], row["cpu_energy"] + row["gpu_energy"] + row["ram_energy"],
              1e-12 + 1e-9 * row["energy_consumed"]);
  EXPECT_NEAR(row["energy_consumed"], energy_j * 1.5 / 3.6e6, 1e-6 * row["energy_consumed"]);
  EXPECT_NEAR(m["energy_kwh"].get<double>(), row["energy_consumed"], 1e-6 * row["energy_consumed"]);
  EXPECT_NEAR(m["co2_kg"].get<double>(), row["emissions"], 1e-6 * row["emissions"]);
  EXPECT_NEAR(row["ram_total_size"],
              static_cast<double>(::sysconf(_SC_PHYS_PAGES)) *
                  static_cast<double>(::sysconf(_SC_PAGE_SIZE)) / 1073741824.0,
              0.01);  // GiB
}

TEST_F(Cli, TrainWritesTheRunDirectoryAndEvalReproducesIt) {
  const auto out = root_ / "run1";
  const auto r = run_eden("train --data " + data_.string() + " --out " + out.string() +
                          " --epochs 2 --batch-size 32 --unfreeze-epoch 1 --accum 2 --amp "
                          "--l1 1e-5 --threads 1 --lr 0.003");
  ASSERT_EQ(r.status, 0) << r.output;
  for (const char* f :
       {"config.yaml", "log.csv", "metrics.json", "classes.txt", "checkpoint.pt", "run.json"}) {
    EXPECT_TRUE(fs::exists(out / f)) << f;
  }
  std::ifstream log(out / "log.csv");
  std::string header, row1, row2;
  std::getline(log, header);
  std::getline(log, row1);
  std::getline(log, row2);
  EXPECT_EQ(header.rfind("epoch,phase,lr,train_loss,", 0), 0u) << header;
  for (const char* col : {"eval_loss", "eval_top1", "eval_top5", "eval_f1", "epoch_time_s"}) {
    EXPECT_NE(header.find(col), std::string::npos) << col;
  }
  EXPECT_EQ(row1.rfind("0,frozen,", 0), 0u) << row1;
  EXPECT_EQ(row2.rfind("1,full,", 0), 0u) << row2;
  const auto cfg = eden::read_file(out / "config.yaml");
  EXPECT_NE(cfg.find("accum: 2"), std::string::npos) << cfg;
  EXPECT_NE(cfg.find("amp: true"), std::string::npos) << cfg;

  const auto e = run_eden("eval --run " + out.string());
  ASSERT_EQ(e.status, 0) << e.output;
  const auto metrics = eden::read_file(out / "metrics.json");
  const auto eval = eden::read_file(out / "eval.json");
  auto top1 = [](const std::string& j) {
    const auto p = j.find("\"eval_top1\": ");
    return std::stod(j.substr(p + 13));
  };
  EXPECT_DOUBLE_EQ(top1(metrics), top1(eval));
  // Resuming a finished run is a no-op, not an error.
  EXPECT_EQ(run_eden("train --resume " + out.string()).status, 0);
}

TEST_F(Cli, BadInputGivesOneLineErrors) {
  expect_clean_error(run_eden("train --bogus-flag 3"), "bogus");
  expect_clean_error(run_eden("train --epochs abc --data " + data_.string()), "--epochs");
  expect_clean_error(run_eden("train --epochs 0 --data " + data_.string()), "--epochs");
  expect_clean_error(run_eden("train --config /nonexistent.yaml"), "nonexistent.yaml");
  expect_clean_error(run_eden("train --data /nonexistent/dir"), "/nonexistent/dir");
  expect_clean_error(run_eden("train --data /etc/passwd"),
                     "\"/etc/passwd\" is a file, not a folder");
  const auto help = run_eden("train --help");
  EXPECT_NE(help.output.find("CIFAR-10/100 binaries"), std::string::npos) << help.output;
  expect_clean_error(run_eden("train --model nosuchnet --data " + data_.string() + " --out " +
                              (root_ / "bad").string()),
                     "available:");
  expect_clean_error(run_eden("train --optimizer adam"), "adamw");
  expect_clean_error(run_eden("train --device cuda --data " + data_.string() + " --out " +
                              (root_ / "bad2").string()),
                     "--device cuda");
  expect_clean_error(run_eden("eval --run /nonexistent"), "/nonexistent");
  expect_clean_error(run_eden("train --resume " + data_.string()), "config.yaml");
  expect_clean_error(run_eden("nosuchcommand"), "nosuchcommand");
  const auto yaml = root_ / "bad.yaml";
  std::ofstream(yaml) << "epochs: 2\nbatchsize: 3\n";
  expect_clean_error(run_eden("train --config " + yaml.string()), "unknown setting 'batchsize'");
}

// The acceptance run: a class-folder tree of JPEG and PNG files with one corrupt file and
// one non-image file trains to the end, reporting and listing the skips.
TEST_F(Cli, TrainsOnAnImageFolderAndReportsSkippedFiles) {
  const auto tree = root_ / "folder";
  const char* names[] = {"cat", "dog", "eel"};
  for (int k = 0; k < 3; ++k) {
    fs::create_directories(tree / names[k]);
    for (int i = 0; i < 8; ++i) {
      const int h = 40 + i, w = 48;
      auto rgb = eden::testing::photo_like_rgb(h, w, static_cast<uint32_t>(10 * k + i));
      for (size_t p = k; p < rgb.size(); p += 3) rgb[p] = 255;  // class k: channel k saturated
      const auto bytes = i % 2 == 0
                             ? eden::testing::encode_jpeg(rgb, h, w)
                             : eden::testing::encode_png(rgb, h, w, eden::testing::PngKind::kRgb8);
      eden::testing::write_bytes(
          (tree / names[k] / (std::to_string(i) + (i % 2 == 0 ? ".jpg" : ".png"))).string(), bytes);
    }
  }
  auto corrupt = eden::testing::encode_jpeg(eden::testing::photo_like_rgb(64, 64, 99), 64, 64);
  corrupt.resize(corrupt.size() / 3);
  eden::testing::write_bytes((tree / "dog" / "corrupt.jpg").string(), corrupt);
  eden::testing::write_bytes((tree / "eel" / "readme.txt").string(), {'h', 'i'});

  const auto out = root_ / "folder_run";
  const auto r = run_eden("train --data " + tree.string() + " --out " + out.string() +
                          " --model small_cnn --image-size 32 --epochs 2 --batch-size 8 "
                          "--val-split 0.25 --threads 2");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("data: image-folder"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("2 skipped"), std::string::npos) << r.output;
  const std::string skipped = eden::read_file(out / "skipped.txt");
  EXPECT_NE(skipped.find("corrupt.jpg\t"), std::string::npos) << skipped;
  EXPECT_NE(skipped.find("readme.txt\tnot an image"), std::string::npos) << skipped;
  const auto info = nlohmann::json::parse(eden::read_file(out / "run.json"));
  EXPECT_EQ(info["data_load"]["format"], "image-folder");
  EXPECT_EQ(info["data_load"]["skipped"], 2);
  EXPECT_EQ(info["data_load"]["images_loaded"], 24);
  EXPECT_EQ(info["train_samples"], 18);
  EXPECT_EQ(info["image_shape"], nlohmann::json({3, 32, 32}));
  EXPECT_EQ(info["normalization"]["mean"][0], 0.485);  // ImageNet for a torchvision-style model
  EXPECT_EQ(info["augmentation"], "random-resized-crop + hflip (timm)");
  EXPECT_EQ(info["host_allocator"]["kind"], "caching");  // the default
  EXPECT_GT(info["host_allocator"]["cap_bytes"].get<int64_t>(), 0);
  EXPECT_EQ(eden::read_file(out / "classes.txt"), "cat\ndog\neel\n");
  EXPECT_TRUE(fs::exists(out / "metrics.json"));

  // --strict turns the same skips into a clean error; bad values are one-line errors.
  expect_clean_error(run_eden("train --data " + tree.string() + " --out " +
                              (root_ / "strict_run").string() + " --strict --image-size 32"),
                     "--strict: 2 file(s)");
  expect_clean_error(run_eden("train --data " + tree.string() + " --memory-budget lots"),
                     "--memory-budget");
  expect_clean_error(run_eden("train --data " + tree.string() + " --val-split 2"),
                     "--val-split: 2");
}

// The energy-aware command users write: every decision is explained on the way and recorded.
TEST_F(Cli, EnergyAwareRunExplainsEachDecision) {
  const auto out = root_ / "aware";
  const auto r = run_eden("train --data " + data_.string() + " --out " + out.string() +
                          " --model small_cnn --threads 1 --epochs 4 --batch-size 32"
                          " --unfreeze-epoch auto --energy-budget 0.5kWh --target-accuracy 0.9");
  ASSERT_EQ(r.status, 0) << r.output;
  EXPECT_NE(r.output.find("forecast at start: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("unfreeze auto: "), std::string::npos) << r.output;
  EXPECT_NE(r.output.find(" | forecast "), std::string::npos) << r.output;
  const auto m = nlohmann::json::parse(eden::read_file(out / "metrics.json"));
  ASSERT_TRUE(m.contains("stop_reason")) << m.dump(2);
  const std::string reason = m.at("stop_reason");
  EXPECT_TRUE(reason == "target_accuracy" || reason == "epochs") << reason;
  if (reason == "target_accuracy") {
    EXPECT_NE(r.output.find("stop after epoch "), std::string::npos) << r.output;
    EXPECT_GT(m.at("energy_to_accuracy_j").get<double>(), 0.0);
  }
  EXPECT_EQ(m.at("unfreeze").at("mode"), "auto");
  EXPECT_EQ(m.at("budgets").at("energy_j"), 1.8e6);
  EXPECT_TRUE(eden::read_file(out / "config.yaml").find("unfreeze_epoch: \"auto\"") !=
              std::string::npos);
}

TEST_F(Cli, EnergyAwareSettingsRefuseBadValues) {
  expect_clean_error(run_eden("train --energy-budget 2 --data " + data_.string()),
                     "--energy-budget: '2' is not a positive quantity with a unit");
  expect_clean_error(run_eden("train --co2-budget 3lb --data " + data_.string()), "--co2-budget");
  expect_clean_error(run_eden("train --time-budget soon --data " + data_.string()),
                     "--time-budget");
  expect_clean_error(run_eden("train --unfreeze-epoch sometimes --data " + data_.string()),
                     "--unfreeze-epoch");
  expect_clean_error(
      run_eden("train --max-frozen-epochs 2 --unfreeze-epoch 1 --data " + data_.string()),
      "applies to --unfreeze-epoch auto only");
  expect_clean_error(run_eden("train --min-gain-per-kj 0.1 --data " + data_.string()),
                     "--min-gain-per-kj needs --early-stop plateau");
  expect_clean_error(run_eden("train --target-accuracy 1.5 --data " + data_.string()),
                     "--target-accuracy");
}

namespace {

TEST_F(Cli, RunRefusesABadRepeatsBeforeTrainingAnything) {
  // 0 is not "unset": it is refused, not silently turned into the file's repeats.
  expect_clean_error(run_eden("run --repeats 0 --out " + (root_ / "never").string()),
                     "--repeats: 0 is not a number of seeds from 1 to 100");
  expect_clean_error(run_eden("run --repeats 101"), "from 1 to 100");
  EXPECT_FALSE(fs::exists(root_ / "never"));
}

}  // namespace
