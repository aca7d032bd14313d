// Numerical parity with torchvision: the same weights (written by Python's torch.save) and input
// give the same logits in EDEN, fp32, relative error below 1e-4. Also checks that the state dict
// names match torchvision's one to one (a strict load).
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>
#include <sstream>

#include "../io/python.h"
#include "eden/io/pretrained.h"
#include "eden/io/safetensors.h"
#include "eden/models/registry.h"

namespace fs = std::filesystem;

namespace {

struct Pair {
  const char* eden;
  const char* torchvision;
};

void PrintTo(const Pair& p, std::ostream* os) {
  *os << p.eden << " vs torchvision." << p.torchvision;
}

class TorchvisionParity : public ::testing::TestWithParam<Pair> {
 protected:
  void SetUp() override {
    if (!eden::testing::python_has("torch, torchvision")) {
      GTEST_SKIP() << "SKIPPED: " << eden::testing::kSystemPython
                   << " cannot import torch and torchvision (Debian python3-torchvision); "
                      "torchvision parity not checked";
    }
    dir_ = fs::temp_directory_path() /
           ("eden_tv_" + std::string(GetParam().eden) + "_" + std::to_string(::getpid()));
    fs::create_directories(dir_);
  }
  void TearDown() override {
    std::error_code ec;
    if (!dir_.empty()) fs::remove_all(dir_, ec);
  }
  fs::path dir_;
};

TEST_P(TorchvisionParity, SameWeightsSameLogits) {
  const std::string name = GetParam().eden;
  const auto py =
      eden::testing::run_python(eden::testing::test_script("models/torchvision_reference.py") +
                                " " + GetParam().torchvision + " " + dir_.string());
  ASSERT_EQ(py.status, 0) << py.output;

  auto model = eden::models::create_model(name, eden::models::ModelOptions());
  const auto report = eden::io::load_pretrained(*model, (dir_ / "weights.pt").string());
  EXPECT_TRUE(report.complete()) << report.summary();
  EXPECT_TRUE(report.reinitialized.empty());

  // The safetensors copy holds the same tensors bit for bit.
  const auto st = eden::io::read_safetensors((dir_ / "weights.safetensors").string());
  const auto pt = eden::io::read_weights((dir_ / "weights.pt").string());
  ASSERT_EQ(st.tensors.size(), pt.size());
  for (const auto& item : pt) {
    ASSERT_NE(st.tensors.find(item.key()), nullptr) << item.key();
    EXPECT_TRUE(torch::equal(st.tensors[item.key()], item.value())) << item.key();
  }

  const auto io = eden::io::read_safetensors((dir_ / "io.safetensors").string());
  model->eval();
  torch::NoGradGuard no_grad;
  const auto logits = model->forward(io.tensors["input"]);
  const auto& ref = io.tensors["logits"];
  ASSERT_EQ(logits.sizes(), ref.sizes());
  const double err = (logits - ref).abs().max().item<double>() / ref.abs().max().item<double>();
  EXPECT_LT(err, 1e-4) << name << ": max |eden - torchvision| / max |torchvision|";
  std::ostringstream shown;
  shown << std::scientific << err;
  RecordProperty("relative_error", shown.str());
}

INSTANTIATE_TEST_SUITE_P(Torchvision, TorchvisionParity,
                         ::testing::Values(Pair{"resnet18", "resnet18"},
                                           Pair{"resnet50", "resnet50"},
                                           Pair{"mobilenetv2", "mobilenet_v2"}),
                         [](const auto& info) { return std::string(info.param.eden); });

}  // namespace
