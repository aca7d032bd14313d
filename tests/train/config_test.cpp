// TrainConfig: YAML round trip, unknown keys and bad values rejected with the key named.
#include <gtest/gtest.h>

#include "eden/train/config.h"
#include "eden/util/check.h"

using eden::train::TrainConfig;

namespace {
std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const eden::Error& e) {
    return e.what();
  }
  return "";
}
}  // namespace

TEST(Config, YamlRoundTripKeepsEveryField) {
  TrainConfig c;
  c.model = "resnet18";
  c.lr = 0.000123456789;
  c.amp = true;
  c.accum = 7;
  c.frozen_bn = "train";
  c.out = "runs/a b: c";  // needs quoting
  const auto back = eden::train::parse_config_yaml(eden::train::to_yaml(c), "test");
  EXPECT_EQ(eden::train::to_yaml(back), eden::train::to_yaml(c));
  EXPECT_EQ(back.lr, c.lr);
  EXPECT_EQ(back.out, c.out);
  EXPECT_TRUE(back.amp);
}

TEST(Config, FileValuesOverrideDefaultsOnly) {
  const auto c = eden::train::parse_config_yaml("epochs: 9\nl1: 1e-5\n", "f.yaml");
  EXPECT_EQ(c.epochs, 9);
  EXPECT_DOUBLE_EQ(c.l1, 1e-5);
  EXPECT_EQ(c.batch_size, TrainConfig{}.batch_size);
}

TEST(Config, RejectsUnknownKeysAndBadValuesNamingThem) {
  EXPECT_NE(error_of([] {
              eden::train::parse_config_yaml("epoch: 3", "f.yaml");
            }).find("unknown setting 'epoch'"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              eden::train::parse_config_yaml("epochs: three", "f.yaml");
            }).find("--epochs: expected an integer, got 'three'"),
            std::string::npos);
  EXPECT_NE(error_of([] { eden::train::parse_config_yaml("lr: -1", "f.yaml"); }).find("--lr"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              eden::train::parse_config_yaml("optimizer: adam", "f.yaml");
            }).find("one of {adamw, sgd}"),
            std::string::npos);
  EXPECT_NE(error_of([] { eden::train::parse_config_yaml("[1, 2]", "f.yaml"); }).find("mapping"),
            std::string::npos);
  EXPECT_NE(error_of([] {
              eden::train::parse_config_yaml("epochs: [1]", "f.yaml");
            }).find("single value"),
            std::string::npos);
  EXPECT_NE(error_of([] { eden::train::parse_config_yaml("a: [", "f.yaml"); }).find("invalid YAML"),
            std::string::npos);
  // A key given twice would otherwise be one of them, silently.
  EXPECT_NE(error_of([] {
              eden::train::parse_config_yaml("epochs: 3\nlr: 0.1\nepochs: 5\n", "f.yaml");
            }).find("f.yaml: key 'epochs' is given twice (lines 1 and 3)"),
            std::string::npos);
}

TEST(Config, CrossFieldValidation) {
  TrainConfig c;
  c.epochs = 2;
  c.unfreeze_epoch = 3;
  EXPECT_NE(error_of([&] { eden::train::validate(c); }).find("--unfreeze-epoch"),
            std::string::npos);
}
