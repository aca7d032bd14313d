// MobileViTv3 against a plain PyTorch implementation written from the reference pseudocode
// (tests/models/mobilevitv3_reference.py): same weights, same input, same logits. The input
// size, 72, leaves layer_4 at 5x5 and layer_5 at 3x3, so both families' resize paths run.
#include <gtest/gtest.h>
#include <torch/torch.h>

#include <filesystem>

#include "../io/python.h"
#include "eden/io/pretrained.h"
#include "eden/io/safetensors.h"
#include "eden/models/registry.h"

namespace fs = std::filesystem;

namespace {

TEST(MobileViTv3Reference, LogitsMatchAPlainPyTorchImplementation) {
  if (!eden::testing::python_has("torch")) {
    GTEST_SKIP() << "SKIPPED: " << eden::testing::kSystemPython
                 << " cannot import torch; MobileViTv3 reference not checked";
  }
  const fs::path dir = fs::temp_directory_path() / ("eden_mvit_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const char* const kModels[] = {"mobilevitv3_xxs", "mobilevitv3_xs_l2", "mobilevitv3_0_5",
                                 "mobilevitv3_0_75"};
  std::string names;
  for (const char* name : kModels) {
    torch::manual_seed(0);
    auto model = eden::models::create_model(
        name, eden::models::ModelOptions().num_classes(10).image_size(72));
    {
      // Move BN statistics away from 0/1 so eval-mode normalisation is exercised.
      torch::NoGradGuard no_grad;
      model->train();
      model->forward(torch::randn({4, 3, 72, 72}) * 2 + 0.5);
    }
    model->eval();
    const auto x = torch::randn({2, 3, 72, 72});
    torch::Tensor logits;
    {
      torch::NoGradGuard no_grad;
      logits = model->forward(x);
    }
    auto tensors = eden::io::state_dict(*model);
    tensors.insert("__input", x);
    tensors.insert("__logits", logits);
    eden::io::write_safetensors((dir / (std::string(name) + ".safetensors")).string(), tensors);
    names += std::string(" ") + name;
  }
  const auto r = eden::testing::run_python(
      eden::testing::test_script("models/mobilevitv3_reference.py") + " " + dir.string() + names);
  EXPECT_EQ(r.status, 0) << r.output;
  RecordProperty("python", r.output);
  std::cout << r.output;
  fs::remove_all(dir);
}

}  // namespace
