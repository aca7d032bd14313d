// Experiment files: sections, the common block, and clear errors for malformed files.
#include <gtest/gtest.h>

#include "eden/pipeline/experiment.h"
#include "eden/util/check.h"

using eden::pipeline::parse_experiment_yaml;

TEST(Experiment, EmbeddedDefaultHasUpstreamBaselineAndAnE2amCandidate) {
  const auto cfg = parse_experiment_yaml(eden::pipeline::default_experiment_yaml(), "default");
  ASSERT_TRUE(cfg.upstream.has_value());
  EXPECT_EQ(cfg.upstream->classes, "0,1,2,3,4");
  EXPECT_EQ(cfg.baseline.classes, "5,6,7,8,9");
  EXPECT_EQ(cfg.candidate.classes, "5,6,7,8,9");
  EXPECT_GT(cfg.candidate.unfreeze_epoch, 0);
  EXPECT_TRUE(cfg.candidate.amp);
  EXPECT_GT(cfg.candidate.accum, 1);
  EXPECT_GT(cfg.candidate.l1, 0.0);
  EXPECT_FALSE(cfg.baseline.amp);
  EXPECT_EQ(cfg.baseline.unfreeze_epoch, 0);
  EXPECT_EQ(cfg.baseline.batch_size, 128);  // from common
}

TEST(Experiment, CommonAppliesAndStagesOverrideIt) {
  const auto cfg = parse_experiment_yaml(
      "common: {epochs: 4, lr: 0.01}\nbaseline: {model: resnet18}\n"
      "candidate: {model: small_cnn, epochs: 2}\n",
      "x.yaml");
  EXPECT_FALSE(cfg.upstream.has_value());
  EXPECT_EQ(cfg.baseline.epochs, 4);
  EXPECT_EQ(cfg.candidate.epochs, 2);
  EXPECT_DOUBLE_EQ(cfg.candidate.lr, 0.01);
}

TEST(Experiment, CardSectionSetsTheCardsMetadata) {
  const auto cfg = parse_experiment_yaml(
      "baseline: {model: resnet18}\ncandidate: {model: small_cnn}\n"
      "card: {license: mit, base_model: org/backbone, hub_id: org/model}\n",
      "x.yaml");
  EXPECT_EQ(cfg.card_license, "mit");
  EXPECT_EQ(cfg.card_base_model, "org/backbone");
  EXPECT_EQ(cfg.card_hub_id, "org/model");
  EXPECT_THROW(parse_experiment_yaml("baseline: {}\ncandidate: {}\ncard: {licence: mit}\n", "x"),
               eden::Error);
}

TEST(Experiment, MalformedFilesAreRejectedWithTheReason) {
  auto error = [](const std::string& yaml) {
    try {
      parse_experiment_yaml(yaml, "x.yaml");
    } catch (const eden::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_NE(error("baseline: {model: resnet18}").find("'baseline' and 'candidate'"),
            std::string::npos);
  EXPECT_NE(error("baseline: {}\ncandidate: {}\nextra: 1").find("unknown key 'extra'"),
            std::string::npos);
  EXPECT_NE(error("baseline: {epoch: 3}\ncandidate: {}").find("unknown setting 'epoch'"),
            std::string::npos);
  EXPECT_NE(error("baseline: {out: x}\ncandidate: {}").find("'out' is set by the experiment"),
            std::string::npos);
  EXPECT_NE(error("baseline: [1]\ncandidate: {}").find("mapping"), std::string::npos);
  EXPECT_NE(error("baseline: {}\ncandidate:\n  epochs: 2\n  epochs: 3\n")
                .find("key 'epochs' is given twice (lines 3 and 4)"),
            std::string::npos);
  EXPECT_NE(error("baseline: {}\ncandidate: {}\nbaseline: {}\n")
                .find("key 'baseline' is given twice (lines 1 and 3)"),
            std::string::npos);
}

TEST(Experiment, StagesAcceptTheEnergyAwareSettings) {
  const auto cfg = parse_experiment_yaml(
      "common: {energy_budget: 2kWh, time_budget: 1h30m}\n"
      "baseline: {target_accuracy: 0.9}\n"
      "candidate: {unfreeze_epoch: auto, max_frozen_epochs: 3, early_stop: plateau, patience: 3,"
      " min_gain_per_kj: 0.001, co2_budget: 200g}\n",
      "x.yaml");
  EXPECT_EQ(cfg.baseline.energy_budget, "2kWh");
  EXPECT_EQ(cfg.baseline.time_budget, "1h30m");
  EXPECT_DOUBLE_EQ(cfg.baseline.target_accuracy, 0.9);
  EXPECT_EQ(cfg.candidate.unfreeze_epoch, eden::train::kUnfreezeAuto);
  EXPECT_EQ(cfg.candidate.max_frozen_epochs, 3);
  EXPECT_EQ(cfg.candidate.early_stop, "plateau");
  EXPECT_EQ(cfg.candidate.patience, 3);
  EXPECT_DOUBLE_EQ(cfg.candidate.min_gain_per_kj, 0.001);
  EXPECT_EQ(cfg.candidate.co2_budget, "200g");
  EXPECT_THROW(parse_experiment_yaml("baseline: {energy_budget: lots}\ncandidate: {}\n", "x.yaml"),
               eden::Error);
}
