// The torch.save writer: what it writes reads back the same in EDEN, and Python's
// torch.load(weights_only=True) reads it as plain dicts, lists, numbers and tensors.
#include "eden/io/torch_save.h"

#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../common/temp_dir.h"
#include "eden/io/torch_checkpoint.h"
#include "python.h"

namespace eden::io {
namespace {

class TorchSaveTest : public testing::TempDirTest {};

PickleValue sample() {
  torch::manual_seed(0);
  return PickleValue::dict_of({
      {"name", PickleValue::of("ünïcode, \"quoted\"")},
      {"small", PickleValue::of(int64_t{7})},
      {"negative", PickleValue::of(int64_t{-70000})},
      {"big", PickleValue::of(int64_t{1} << 40)},
      {"real", PickleValue::of(0.1)},
      {"flag", PickleValue::of(true)},
      {"nothing", PickleValue::none()},
      {"list", PickleValue::list({PickleValue::of(int64_t{1}), PickleValue::of("two")})},
      {"empty", PickleValue::dict_of()},
      {"weights", PickleValue::of(torch::randn({3, 4}))},
      {"ints", PickleValue::of(torch::arange(5, torch::kLong))},
      {"half", PickleValue::of(torch::ones({2}, torch::kBFloat16))},
      {"mask", PickleValue::of(torch::tensor({true, false}))},
      {"view", PickleValue::of(torch::randn({4, 4}).t())},  // non-contiguous: written contiguous
      {"nested", PickleValue::dict_of({{"deep", PickleValue::of(torch::zeros({0}))}})},
  });
}

TEST_F(TorchSaveTest, ReadsBackWhatItWrote) {
  const auto path = (dir_ / "x.pt").string();
  const PickleValue v = sample();
  write_torch_save(path, v);
  const PickleValue r = read_torch_save(path);
  ASSERT_EQ(r.kind, PickleValue::Kind::kDict);
  ASSERT_EQ(r.dict.size(), v.dict.size());
  for (size_t k = 0; k < v.dict.size(); ++k) EXPECT_EQ(r.dict[k].first, v.dict[k].first);
  EXPECT_EQ(r.find("name")->s, "ünïcode, \"quoted\"");
  EXPECT_EQ(r.find("negative")->i, -70000);
  EXPECT_EQ(r.find("big")->i, int64_t{1} << 40);
  EXPECT_DOUBLE_EQ(r.number("real", "x.pt"), 0.1);  // a 0-dim float64 tensor in the file
  EXPECT_TRUE(r.find("flag")->b);
  EXPECT_EQ(r.find("nothing")->kind, PickleValue::Kind::kNone);
  EXPECT_EQ(r.find("list")->items.at(1).s, "two");
  for (const char* t : {"weights", "ints", "half", "mask", "view"}) {
    EXPECT_TRUE(torch::equal(r.find(t)->tensor, v.find(t)->tensor)) << t;
  }
  EXPECT_EQ(r.find("nested")->find("deep")->tensor.numel(), 0);
  // The same reader as for Python's files finds the weights too.
  EXPECT_TRUE(read_torch_checkpoint(path).contains("weights"));
}

TEST_F(TorchSaveTest, PythonLoadsItWithWeightsOnly) {
  if (!testing::python_has("torch")) GTEST_SKIP() << "no torch in /usr/bin/python3";
  const auto path = (dir_ / "x.pt").string();
  const PickleValue v = sample();
  write_torch_save(path, v);
  const auto r =
      testing::run_python(testing::test_script("io/describe_torch_save.py") + " " + path);
  ASSERT_EQ(r.status, 0) << r.output;
  const auto j = nlohmann::json::parse(r.output);
  EXPECT_EQ(j["top"], "dict") << r.output;
  for (const auto& t : j["types"]) {
    const std::string type = t;
    EXPECT_TRUE(type == "dict" || type == "list" || type == "str" || type == "int" ||
                type == "float" || type == "bool" || type == "NoneType" || type == "Tensor")
        << type;
  }
  const auto& val = j["value"];
  EXPECT_EQ(val["name"], "ünïcode, \"quoted\"");
  EXPECT_EQ(val["negative"], -70000);
  EXPECT_EQ(val["big"], int64_t{1} << 40);
  EXPECT_EQ(val["real"]["dtype"], "torch.float64");
  EXPECT_DOUBLE_EQ(val["real"]["sum"].get<double>(), 0.1);
  EXPECT_EQ(val["flag"], true);
  EXPECT_TRUE(val["nothing"].is_null());
  EXPECT_EQ(val["list"][1], "two");
  EXPECT_EQ(val["weights"]["dtype"], "torch.float32");
  EXPECT_EQ(val["weights"]["shape"], nlohmann::json({3, 4}));
  EXPECT_NEAR(val["weights"]["sum"].get<double>(), v.find("weights")->tensor.sum().item<double>(),
              1e-5);
  EXPECT_EQ(val["ints"]["sum"], 10);
  EXPECT_EQ(val["half"]["dtype"], "torch.bfloat16");
  EXPECT_EQ(val["mask"]["dtype"], "torch.bool");
  EXPECT_NEAR(val["view"]["sum"].get<double>(), v.find("view")->tensor.sum().item<double>(), 1e-5);
  EXPECT_EQ(val["nested"]["deep"]["shape"], nlohmann::json({0}));
}

}  // namespace
}  // namespace eden::io
