// Reading torch.save checkpoints: every tensor kind Python writes (checked bit for bit against
// the same tensors in safetensors), the wrappers checkpoints come in, clear errors for what is
// not a state dict, and a pickle interpreter that survives truncated and mutated data.pkl files.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <caffe2/serialize/inline_container.h>

#include <filesystem>
#include <fstream>
#include <random>

#include "eden/io/safetensors.h"
#include "eden/io/torch_checkpoint.h"
#include "eden/util/check.h"
#include "python.h"

namespace fs = std::filesystem;

namespace {

fs::path temp_dir(const std::string& tag) {
  auto dir = fs::temp_directory_path() / ("eden_" + tag + "_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  return dir;
}

void expect_error(const fs::path& path, const std::string& fragment) {
  try {
    eden::io::read_torch_checkpoint(path.string());
    ADD_FAILURE() << path << " loaded; expected an error about '" << fragment << "'";
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
  }
}

class TorchCheckpointFromPython : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!eden::testing::python_has("torch")) {
      GTEST_SKIP() << "SKIPPED: " << eden::testing::kSystemPython
                   << " cannot import torch; torch.save files not checked";
    }
    dir_ = temp_dir("ckpt");
    const auto r = eden::testing::run_python(
        eden::testing::test_script("io/make_torch_checkpoints.py") + " " + dir_.string());
    ASSERT_EQ(r.status, 0) << r.output;
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_F(TorchCheckpointFromPython, EveryTensorKindMatchesBitForBit) {
  const auto expected = eden::io::read_safetensors((dir_ / "expected.safetensors").string());
  for (const char* file : {"plain.pt", "protocol4.pt", "nested.pt", "cvnets_style.pt"}) {
    const auto sd = eden::io::read_torch_checkpoint((dir_ / file).string());
    ASSERT_EQ(sd.size(), expected.tensors.size()) << file;
    size_t i = 0;
    for (const auto& item : sd) {
      EXPECT_EQ(item.key(), expected.tensors.keys()[i++]) << file << ": order";
      const auto& want = expected.tensors[item.key()];
      EXPECT_EQ(item.value().scalar_type(), want.scalar_type()) << file << " " << item.key();
      EXPECT_EQ(item.value().sizes(), want.sizes()) << file << " " << item.key();
      EXPECT_TRUE(torch::equal(item.value(), want)) << file << " " << item.key();
    }
  }
  const auto p = eden::io::read_torch_checkpoint((dir_ / "parameter.pt").string());
  EXPECT_TRUE(torch::equal(p["w"], torch::ones({2, 2})));
}

TEST_F(TorchCheckpointFromPython, WhatIsNotAStateDictFailsClearly) {
  expect_error(dir_ / "legacy.pt", "legacy (pre-1.6)");
  expect_error(dir_ / "module.pt", "torch.nn.modules.linear.Linear");
  expect_error(dir_ / "script.pt", "TorchScript");
  expect_error(dir_ / "no_tensors.pt", "keys: epoch");
  expect_error(dir_ / "quantized.pt", "QUInt8Storage");
  EXPECT_TRUE(eden::io::looks_like_zip((dir_ / "plain.pt").string()));
  EXPECT_FALSE(eden::io::looks_like_zip((dir_ / "expected.safetensors").string()));
}

// ---- no Python needed from here: archives made with LibTorch's own writer -----------------

/// A string literal's bytes, embedded NULs included.
template <size_t N>
std::string bytes_of(const char (&s)[N]) {
  return std::string(s, N - 1);
}

/// A checkpoint written by torch::pickle_save (zip, data.pkl + data/<n> storages).
std::string pickle_save_bytes() {
  c10::Dict<std::string, at::Tensor> d;
  d.insert("w", torch::arange(6, torch::kFloat).reshape({2, 3}));
  d.insert("steps", torch::tensor(7, torch::kLong));
  d.insert("half", torch::ones({3}, torch::kHalf));
  const auto bytes = torch::pickle_save(c10::IValue(d));
  return std::string(bytes.begin(), bytes.end());
}

void write_bytes(const fs::path& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary)
      .write(bytes.data(), static_cast<std::streamsize>(bytes.size()));
}

/// Records of a zip archive, by name.
std::vector<std::pair<std::string, std::string>> records(const fs::path& path) {
  caffe2::serialize::PyTorchStreamReader reader(path.string());
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& name : reader.getAllRecords()) {
    auto [ptr, n] = reader.getRecord(name);
    out.emplace_back(name, std::string(static_cast<const char*>(ptr.get()), n));
  }
  return out;
}

/// The same archive with data.pkl replaced.
void write_with_pickle(const fs::path& path,
                       const std::vector<std::pair<std::string, std::string>>& recs,
                       const std::string& pickle) {
  caffe2::serialize::PyTorchStreamWriter writer(path.string());
  for (const auto& [name, bytes] : recs) {
    if (name == "version" || name == ".data/version") continue;  // the writer adds its own
    const std::string& data = name == "data.pkl" ? pickle : bytes;
    writer.writeRecord(name, data.data(), data.size());
  }
  writer.writeEndOfFile();
}

TEST(TorchCheckpoint, ReadsLibTorchPickleSave) {
  const auto dir = temp_dir("ckpt_cpp");
  write_bytes(dir / "cpp.pt", pickle_save_bytes());
  const auto sd = eden::io::read_torch_checkpoint((dir / "cpp.pt").string());
  ASSERT_EQ(sd.size(), 3u);
  EXPECT_TRUE(torch::equal(sd["w"], torch::arange(6, torch::kFloat).reshape({2, 3})));
  EXPECT_EQ(sd["steps"].item<int64_t>(), 7);
  EXPECT_EQ(sd["half"].scalar_type(), torch::kHalf);
  fs::remove_all(dir);
}

TEST(TorchCheckpoint, GarbageAndTruncatedArchivesFailCleanly) {
  const auto dir = temp_dir("ckpt_bad");
  expect_error(dir / "missing.pt", "cannot read");
  write_bytes(dir / "empty.pt", "");
  expect_error(dir / "empty.pt", "not a torch.save zip");
  write_bytes(dir / "text.pt", "hello world");
  expect_error(dir / "text.pt", "not a torch.save zip");
  const std::string good = pickle_save_bytes();
  for (size_t n = 4; n < good.size(); n += 3) {
    write_bytes(dir / "cut.pt", good.substr(0, n));
    EXPECT_THROW(eden::io::read_torch_checkpoint((dir / "cut.pt").string()), eden::Error) << n;
  }
  fs::remove_all(dir);
}

TEST(TorchCheckpoint, MutatedPicklesNeverCrash) {
  const auto dir = temp_dir("ckpt_fuzz");
  write_bytes(dir / "good.pt", pickle_save_bytes());
  const auto recs = records(dir / "good.pt");
  std::string pickle;
  for (const auto& [name, bytes] : recs) {
    if (name == "data.pkl") pickle = bytes;
  }
  ASSERT_FALSE(pickle.empty());
  const fs::path bad = dir / "bad.pt";
  // Every truncation of data.pkl.
  for (size_t n = 0; n < pickle.size(); ++n) {
    write_with_pickle(bad, recs, pickle.substr(0, n));
    EXPECT_THROW(eden::io::read_torch_checkpoint(bad.string()), eden::Error) << n;
  }
  // Random byte changes: a clean load or eden::Error, nothing else.
  std::mt19937 rng(99);
  int ok = 0, rejected = 0;
  for (int round = 0; round < 600; ++round) {
    std::string p = pickle;
    for (int k = 0; k < 1 + static_cast<int>(rng() % 3); ++k) {
      p[rng() % p.size()] = static_cast<char>(rng() & 0xff);
    }
    write_with_pickle(bad, recs, p);
    try {
      eden::io::read_torch_checkpoint(bad.string());
      ++ok;
    } catch (const eden::Error&) {
      ++rejected;
    }
  }
  EXPECT_GT(rejected, 0);
  // Hand-made hostile pickles: a self-containing list, memo misses, mark misuse, huge lengths.
  const std::string hostile[] = {
      bytes_of("\x80\x02]q\x00h\x00"
               "a."),                         // l = []; l.append(l)
      bytes_of("\x80\x02h\x05."),             // BINGET of nothing
      bytes_of("\x80\x02u."),                 // SETITEMS without MARK
      bytes_of("\x80\x02X\xff\xff\xff\x7f"),  // 2 GB string length
      bytes_of("\x80\x02\x8a\x09"),           // LONG1 of 9 bytes
      bytes_of("\x80\x02(((((."),             // marks left at STOP
  };
  for (const auto& p : hostile) {
    write_with_pickle(bad, recs, p);
    EXPECT_THROW(eden::io::read_torch_checkpoint(bad.string()), eden::Error);
  }
  fs::remove_all(dir);
}

}  // namespace
