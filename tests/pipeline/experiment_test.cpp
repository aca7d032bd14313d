// Experiment files: sections, the common block, and clear errors for malformed files.
#include <gtest/gtest.h>

#include "eden/pipeline/experiment.h"
#include "eden/util/check.h"

using eden::pipeline::parse_experiment_yaml;

namespace {

/// The error parsing `yaml` gives, or "no error".
std::string error(const std::string& yaml) {
  try {
    parse_experiment_yaml(yaml, "x.yaml");
  } catch (const eden::Error& e) {
    return e.what();
  }
  return "no error";
}

}  // namespace

TEST(Experiment, EmbeddedDefaultHasUpstreamBaselineAndAnE2amCandidate) {
  const auto cfg = parse_experiment_yaml(eden::pipeline::default_experiment_yaml(), "default");
  ASSERT_TRUE(cfg.upstream.has_value());
  EXPECT_EQ(cfg.upstream->classes, "0,1,2,3,4");
  EXPECT_EQ(cfg.baseline.classes, "5,6,7,8,9");
  EXPECT_EQ(cfg.candidates.at(0).config.classes, "5,6,7,8,9");
  EXPECT_GT(cfg.candidates.at(0).config.unfreeze_epoch, 0);
  EXPECT_TRUE(cfg.candidates.at(0).config.amp);
  EXPECT_GT(cfg.candidates.at(0).config.accum, 1);
  EXPECT_GT(cfg.candidates.at(0).config.l1, 0.0);
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
  EXPECT_EQ(cfg.candidates.at(0).config.epochs, 2);
  EXPECT_DOUBLE_EQ(cfg.candidates.at(0).config.lr, 0.01);
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
  EXPECT_EQ(cfg.candidates.at(0).config.unfreeze_epoch, eden::train::kUnfreezeAuto);
  EXPECT_EQ(cfg.candidates.at(0).config.max_frozen_epochs, 3);
  EXPECT_EQ(cfg.candidates.at(0).config.early_stop, "plateau");
  EXPECT_EQ(cfg.candidates.at(0).config.patience, 3);
  EXPECT_DOUBLE_EQ(cfg.candidates.at(0).config.min_gain_per_kj, 0.001);
  EXPECT_EQ(cfg.candidates.at(0).config.co2_budget, "200g");
  EXPECT_THROW(parse_experiment_yaml("baseline: {energy_budget: lots}\ncandidate: {}\n", "x.yaml"),
               eden::Error);
}

TEST(Experiment, CandidatesListEachInheritsCommonUnderItsName) {
  const auto cfg = parse_experiment_yaml(
      "common: {epochs: 4, lr: 0.01}\nbaseline: {model: resnet18}\nrepeats: 3\n"
      "candidates:\n  - {name: e2am, model: small_cnn, epochs: 2}\n"
      "  - name: e2am.no-l1_v2\n    model: small_cnn\n    l1: 0\n",
      "x.yaml");
  ASSERT_EQ(cfg.candidates.size(), 2u);
  EXPECT_EQ(cfg.candidates[0].name, "e2am");
  EXPECT_EQ(cfg.candidates[0].config.epochs, 2);
  EXPECT_EQ(cfg.candidates[1].name, "e2am.no-l1_v2");
  EXPECT_EQ(cfg.candidates[1].config.epochs, 4);  // from common
  EXPECT_DOUBLE_EQ(cfg.candidates[1].config.lr, 0.01);
  EXPECT_EQ(cfg.repeats, 3);
  // The single `candidate:` section is a candidate named "candidate", run once.
  const auto one = parse_experiment_yaml("baseline: {}\ncandidate: {}\n", "y.yaml");
  ASSERT_EQ(one.candidates.size(), 1u);
  EXPECT_EQ(one.candidates[0].name, "candidate");
  EXPECT_EQ(one.repeats, 1);
}

TEST(Experiment, BadCandidatesAndRepeatsAreRejectedWithTheReason) {
  const std::string base = "baseline: {}\n";
  EXPECT_NE(error(base + "candidate: {}\ncandidates: [{name: a}]\n").find("both 'candidate' and"),
            std::string::npos);
  EXPECT_NE(error(base + "candidates: {name: a}\n").find("must be a list"), std::string::npos);
  EXPECT_NE(error(base + "candidates: []\n").find("must be a list"), std::string::npos);
  EXPECT_NE(error(base + "candidates: [{model: small_cnn}]\n").find("candidates[0]: every "),
            std::string::npos);
  EXPECT_NE(error(base + "candidates: [{name: a/b}]\n").find("name 'a/b' must be"),
            std::string::npos);
  EXPECT_NE(error(base + "candidates: [{name: .hidden}]\n").find("not start with '.'"),
            std::string::npos);
  EXPECT_NE(error(base + "candidates: [{name: baseline}]\n").find("is a stage of every"),
            std::string::npos);
  EXPECT_NE(error(base + "candidates: [{name: a}, {name: a}]\n")
                .find("candidates[1]: name 'a' is given to two candidates"),
            std::string::npos);
  EXPECT_NE(error(base + "candidates: [{name: a, epoch: 2}]\n")
                .find("candidate 'a': unknown setting 'epoch'"),
            std::string::npos);
  EXPECT_NE(error(base + "candidates: [{name: a, out: x}]\n").find("'out' is set by the"),
            std::string::npos);
  EXPECT_NE(error(base + "candidate: {}\nrepeats: 0\n").find("repeats: 0 is not a number of seeds"),
            std::string::npos);
  EXPECT_NE(error(base + "candidate: {}\nrepeats: 101\n").find("from 1 to 100"), std::string::npos);
  EXPECT_NE(error(base + "candidate: {}\nrepeats: three\n").find("expected a whole number"),
            std::string::npos);
  EXPECT_NE(error(base + "candidate: {}\nrepeats: 2.5\n").find("expected a whole number"),
            std::string::npos);
}

TEST(Experiment, StageDirectoriesKeepTheSingleRunLayout) {
  EXPECT_EQ(eden::pipeline::stage_dir("x", "baseline", 7, 1), std::filesystem::path("x/baseline"));
  EXPECT_EQ(eden::pipeline::stage_dir("x", "e2am", 7, 3), std::filesystem::path("x/e2am/seed-7"));
}
