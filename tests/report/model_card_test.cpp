// The model card: golden text, YAML front matter parsed back field by field, phases claimed only
// when the run used them, hostile names that must not break YAML or Markdown, env.json handling.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <sstream>

#include "eden/report/model_card.h"
#include "eden/report/run_record.h"
#include "eden/util/check.h"
#include "fake_run.h"

namespace {

namespace t = eden::testing;
namespace r = eden::report;

bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

/// The YAML between the card's first two "---" lines.
std::string front_matter(const std::string& card) {
  EXPECT_EQ(card.rfind("---\n", 0), 0u) << "the card must start with front matter";
  const auto end = card.find("\n---\n", 4);
  EXPECT_NE(end, std::string::npos);
  return card.substr(4, end - 4 + 1);
}

std::vector<std::string> lines_of(const std::string& text) {
  std::vector<std::string> out;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) out.push_back(line);
  return out;
}

/// Pipes not preceded by an odd number of backslashes.
int unescaped_pipes(const std::string& line) {
  int n = 0;
  for (std::size_t i = 0; i < line.size(); ++i) {
    if (line[i] != '|') continue;
    std::size_t slashes = 0;
    for (std::size_t k = i; k > 0 && line[k - 1] == '\\'; --k) ++slashes;
    n += slashes % 2 == 0 ? 1 : 0;
  }
  return n;
}

class ModelCardTest : public ::testing::Test {
 protected:
  void SetUp() override {
    root_ = t::fresh_temp_dir("card");
    t::FakeRun base;
    base.model = "resnet50";
    base.accuracy = 0.9573;
    base.macro_f1 = 0.9561;
    base.energy_j = 380392115.0;
    base.duration_s = 52000.0;
    t::write_fake_run(root_ / "resnet50-baseline", base);
  }
  void TearDown() override { std::filesystem::remove_all(root_); }

  r::RunRecord baseline() const { return r::load_run(root_ / "resnet50-baseline"); }

  /// The reference card's configuration: progressive unfreezing, AMP, L1, accumulation.
  static t::FakeRun e2am_run() {
    t::FakeRun fake;
    fake.unfreeze_epoch = 2;
    fake.amp = true;
    fake.l1 = 1e-5;
    fake.accum = 4;
    fake.pretrained = "runs/pretrain-five-classes/checkpoint.pt";
    return fake;
  }

  const r::CardFigures kBothFigures{true, true, ""};
  std::filesystem::path root_;
};

TEST_F(ModelCardTest, MatchesGoldenCard) {
  const auto run = r::load_run(t::write_fake_run(root_ / "mobilevit-e2am", e2am_run()));
  r::CardOptions options;
  options.hub_id = "eden-org/EDEN-MobileViTv3-FashionMNIST";
  t::expect_golden("model_card.md", r::render_model_card(run, baseline(), options, kBothFigures));
}

TEST_F(ModelCardTest, AStudysCardShowsItsMeansAndIntervalsOverSeeds) {
  const auto run = r::load_run(t::write_fake_run(root_ / "e2am" / "seed-0", e2am_run()));
  const auto base = baseline();
  std::vector<r::SeedPair> pairs;
  for (int k = 0; k < 3; ++k) {
    r::SeedPair p{k, r::run_numbers(run), r::run_numbers(base), "e2am/seed-" + std::to_string(k),
                  "baseline/seed-" + std::to_string(k)};
    p.model.accuracy += 0.01 * k;
    p.model.energy_j += 1000.0 * k;
    pairs.push_back(p);
  }
  r::CardOptions options;
  options.study = r::compute_repeated_green_delta(pairs);
  const std::string card = r::render_model_card(run, base, options, kBothFigures);
  const YAML::Node y = YAML::Load(front_matter(card));
  EXPECT_EQ(y["eden"]["seeds"].as<int>(), 3);
  EXPECT_NEAR(y["eden"]["accuracy_mean"].as<double>(), run.accuracy + 0.01, 1e-9);
  ASSERT_TRUE(y["eden"]["eag_interval"].IsSequence());
  EXPECT_LE(y["eden"]["eag_interval"][0].as<double>(), y["eden"]["eag"].as<double>());
  // The Hub's metric stays this card's weights' own accuracy, not the mean.
  EXPECT_NEAR(y["model-index"][0]["results"][0]["metrics"][0]["value"].as<double>(), run.accuracy,
              1e-12);
  EXPECT_TRUE(contains(card, "Over 3 seeds, paired with the baseline's by seed")) << card;
  EXPECT_TRUE(contains(card, "| Seeds | 3 | 3 | paired by seed |")) << card;
  EXPECT_TRUE(contains(card, "this card's weights are seed ")) << card;
  // One seed: exactly the single run's card.
  options.study = r::compute_repeated_green_delta({pairs.front()});
  EXPECT_EQ(r::render_model_card(run, base, options, kBothFigures),
            r::render_model_card(run, base, {}, kBothFigures));
}

TEST_F(ModelCardTest, StatesTheDataPreparationApartFromTheTrainingEnergy) {
  auto run = r::load_run(t::write_fake_run(root_ / "run", e2am_run()));
  EXPECT_FALSE(
      contains(r::render_model_card(run, baseline(), {}, kBothFigures), "Data Preparation"));
  run.run_info["data_load"] = {
      {"load_s", 0.05}, {"energy_j", 1.25}, {"energy_source", "estimated"}, {"cache", "hit"}};
  const std::string hit = r::render_model_card(run, baseline(), {}, kBothFigures);
  EXPECT_TRUE(contains(hit,
                       "| Data Preparation (not in the total above) | 0.1 s loading the data, "
                       "1.2 J (estimated); read from the decoded cache, not decoded |"))
      << hit;
  // An experiment's shared loads take the place of the run's own.
  run.metrics["experiment_data_preparation"] = {{"loads", 1},
                                                {"stages", 3},
                                                {"load_s", 4.1},
                                                {"energy_j", 26.5},
                                                {"energy_source", "estimated"}};
  const std::string shared = r::render_model_card(run, baseline(), {}, kBothFigures);
  EXPECT_TRUE(contains(shared, "1 load(s) for 3 stage(s): 4.1 s, 26.5 J (estimated) |")) << shared;
  EXPECT_FALSE(contains(shared, "loading the data")) << shared;
}

TEST_F(ModelCardTest, FrontMatterParsesFieldByField) {
  const t::FakeRun fake = e2am_run();
  const auto run = r::load_run(t::write_fake_run(root_ / "mobilevit-e2am", fake));
  const std::string card = r::render_model_card(run, baseline(), {}, kBothFigures);
  YAML::Node y;
  ASSERT_NO_THROW(y = YAML::Load(front_matter(card))) << front_matter(card);
  EXPECT_EQ(y["library_name"].as<std::string>(), "eden");
  EXPECT_EQ(y["pipeline_tag"].as<std::string>(), "image-classification");
  bool model_tag = false;
  for (const auto& tag : y["tags"]) model_tag = model_tag || tag.as<std::string>() == fake.model;
  EXPECT_TRUE(model_tag);
  EXPECT_EQ(y["datasets"][0].as<std::string>(), "zalando-datasets/fashion_mnist");  // the Hub's id
  EXPECT_EQ(y["metrics"][0].as<std::string>(), "accuracy");
  EXPECT_EQ(y["metrics"][1].as<std::string>(), "f1");

  const auto co2 = y["co2_eq_emissions"];
  EXPECT_DOUBLE_EQ(co2["emissions"].as<double>(), fake.co2_kg() * 1000.0) << "grams";
  EXPECT_TRUE(contains(co2["source"].as<std::string>(), "EDEN 0.1.0 energy meters (measured"));
  EXPECT_EQ(co2["training_type"].as<std::string>(), "fine-tuning");  // config names weights
  EXPECT_EQ(co2["geographical_location"].as<std::string>(),
            "unknown (world-average grid carbon intensity applied)");
  EXPECT_EQ(co2["hardware_used"].as<std::string>(), "1 x NVIDIA GeForce GTX 1080 Ti");

  const auto entry = y["model-index"][0];
  EXPECT_EQ(entry["name"].as<std::string>(), "EDEN-mobilevitv3_xxs-Fashion-MNIST");
  const auto result = entry["results"][0];
  EXPECT_EQ(result["task"]["type"].as<std::string>(), "image-classification");
  EXPECT_EQ(result["dataset"]["type"].as<std::string>(), "zalando-datasets/fashion_mnist");
  EXPECT_FALSE(result["dataset"]["args"]) << "the whole test split: no args";
  EXPECT_FALSE(y["license"]);
  EXPECT_EQ(result["dataset"]["name"].as<std::string>(), "Fashion-MNIST");
  EXPECT_EQ(result["dataset"]["split"].as<std::string>(), "test");
  EXPECT_EQ(result["metrics"][0]["type"].as<std::string>(), "accuracy");
  EXPECT_DOUBLE_EQ(result["metrics"][0]["value"].as<double>(), 0.885);
  EXPECT_EQ(result["metrics"][1]["type"].as<std::string>(), "f1");
  EXPECT_DOUBLE_EQ(result["metrics"][1]["value"].as<double>(), 0.882);

  EXPECT_DOUBLE_EQ(y["eden"]["energy_j"].as<double>(), 6905436.0);
  EXPECT_EQ(y["eden"]["baseline_run"].as<std::string>(), "resnet50-baseline");
  EXPECT_EQ(y["eden"]["tradeoff"].as<std::string>(), "trades_accuracy_for_energy");
  EXPECT_NEAR(y["eden"]["eag"].as<double>(), (0.885 - 0.9573) / (6905436.0 - 380392115.0), 1e-20);

  // A run from scratch on a known country's grid, on the CPU.
  t::FakeRun plain;
  plain.device = "cpu";
  plain.country_iso3 = "FRA";
  plain.country_name = "France";
  const auto cpu_run = r::load_run(t::write_fake_run(root_ / "plain", plain));
  const YAML::Node p = YAML::Load(front_matter(r::render_model_card(cpu_run, baseline(), {}, {})));
  EXPECT_EQ(p["co2_eq_emissions"]["training_type"].as<std::string>(), "pre-training");
  EXPECT_EQ(p["co2_eq_emissions"]["geographical_location"].as<std::string>(), "France");
  EXPECT_EQ(p["co2_eq_emissions"]["hardware_used"].as<std::string>(),
            "Intel Xeon W-2125 CPU, 8 thread(s)");
}

TEST_F(ModelCardTest, ClaimsOnlyThePhasesThatRan) {
  const auto e2am = r::load_run(t::write_fake_run(root_ / "e2am", e2am_run()));
  const std::string on = r::render_model_card(e2am, baseline(), {}, kBothFigures);
  EXPECT_TRUE(contains(on,
                       "**Applied Technique:** E2AM: Progressive Unfreezing + Gradient "
                       "Accumulation + AMP + L1 Sparsity"));
  EXPECT_TRUE(contains(on,
                       "Phase 2 – Progressive Unfreezing:** backbone frozen for the first 2 "
                       "epochs"));
  EXPECT_TRUE(contains(on,
                       "from epoch 3 on all layers trained with the learning rate multiplied "
                       "by 0.1"));
  EXPECT_TRUE(contains(on, "4 micro-batches of 64 per optimizer step (effective batch 256)"));
  EXPECT_TRUE(contains(on, "autocast to Half on cuda with dynamic loss scaling"));
  EXPECT_TRUE(contains(on, "λ = 1e-05"));
  EXPECT_TRUE(
      contains(on, "12.50% of the weights (of its convolution and linear layers) are below"));
  EXPECT_FALSE(contains(on, "Not applied in this run"));

  const auto plain = r::load_run(t::write_fake_run(root_ / "plain", t::FakeRun{}));
  const std::string off = r::render_model_card(plain, baseline(), {}, kBothFigures);
  EXPECT_TRUE(contains(off, "Phase 1 – Zero-Overhead Initialization:"));
  EXPECT_TRUE(contains(off, "Phase 1 – Zero-Overhead Initialization only"));
  for (const char* claim : {"Progressive Unfreezing:", "Gradient accumulation:", "AMP (Automatic",
                            "Sparse Regularisation:"}) {
    EXPECT_FALSE(contains(off, claim)) << claim;
  }
  EXPECT_TRUE(contains(off,
                       "Not applied in this run: progressive unfreezing (unfreeze\\_epoch: 0), "
                       "gradient accumulation (accum: 1), AMP (amp: false), L1 sparse "
                       "regularisation (l1: 0)."))
      << off;

  // Unfreezing without pretrained weights says the backbone was random.
  t::FakeRun random_backbone = e2am_run();
  random_backbone.pretrained.clear();
  const auto rb = r::load_run(t::write_fake_run(root_ / "random", random_backbone));
  EXPECT_TRUE(contains(r::render_model_card(rb, baseline(), {}, kBothFigures),
                       "the frozen backbone kept its random initialisation"));
}

TEST_F(ModelCardTest, HostileNamesBreakNeitherYamlNorMarkdown) {
  t::FakeRun evil;
  evil.model = "evil\"model: x\n---\n| a | b |";
  evil.data = "data`set` <script>alert(1)</script>";
  evil.classes = {"a|b",
                  "<img src=x onerror=alert(1)>",
                  "`code`",
                  "**bold**",
                  "---",
                  "[link](http://x)",
                  "\"quoted\": yes",
                  "#hash",
                  "back\\slash"};
  evil.country_name = "Québec: \"Canada\"\n---";
  const std::string dir_name = "run \"x\": |y| `z` <b>\n---\n";
  const auto run = r::load_run(t::write_fake_run(root_ / dir_name, evil));
  r::CardOptions options;
  options.title = "Title ---\n# not a heading\n| pipe |";
  const std::string card = r::render_model_card(run, baseline(), options, kBothFigures);

  YAML::Node y;
  ASSERT_NO_THROW(y = YAML::Load(front_matter(card))) << front_matter(card);
  EXPECT_EQ(y["model-index"][0]["name"].as<std::string>(), options.title);
  EXPECT_EQ(y["eden"]["model"].as<std::string>(), evil.model);
  EXPECT_EQ(y["eden"]["run"].as<std::string>(), dir_name);
  EXPECT_EQ(y["model-index"][0]["results"][0]["dataset"]["name"].as<std::string>(), evil.data);
  EXPECT_EQ(y["co2_eq_emissions"]["geographical_location"].as<std::string>(), evil.country_name);

  int delimiter_lines = 0;
  std::size_t table_columns = 0;
  for (const auto& line : lines_of(card)) {
    delimiter_lines += line == "---" ? 1 : 0;
    if (line.rfind("|", 0) == 0) {
      const std::size_t pipes = static_cast<std::size_t>(unescaped_pipes(line));
      if (line.rfind("|---", 0) == 0 || table_columns == 0) table_columns = pipes;
      EXPECT_EQ(pipes, table_columns) << "a name broke a table row: " << line;
    } else {
      table_columns = 0;
    }
  }
  EXPECT_EQ(delimiter_lines, 2) << "only the front matter's own '---' lines";
  const std::string body = card.substr(card.find("\n---\n", 4) + 5);
  EXPECT_FALSE(contains(body, "<script")) << "no HTML from names";
  EXPECT_FALSE(contains(body, "<img"));
  EXPECT_FALSE(contains(body, "<b>"));
  EXPECT_FALSE(contains(body, "`code`")) << "no code spans from names";
  EXPECT_FALSE(contains(body, "\n# not a heading"));
  EXPECT_TRUE(contains(body, "| \\`code\\` |"));
  EXPECT_TRUE(contains(body, "| a\\|b |"));
  EXPECT_TRUE(contains(body, "&lt;img src=x onerror=alert(1)&gt;"));
  // The citation block stays a single fenced block with inert identifiers.
  const auto fence = body.find("```bibtex\n");
  ASSERT_NE(fence, std::string::npos);
  const auto close = body.find("\n```\n", fence);
  ASSERT_NE(close, std::string::npos);
  const std::string bib = body.substr(fence, close - fence);
  EXPECT_EQ(bib.find('"'), std::string::npos) << bib;
  EXPECT_EQ(bib.find('|'), std::string::npos) << bib;
}

TEST_F(ModelCardTest, SaysWhoseHardwareItShows) {
  t::FakeRun fake;
  fake.with_env = false;
  const auto run = r::load_run(t::write_fake_run(root_ / "no-env", fake));
  r::CardOptions options;
  options.fallback_env = t::fake_env();
  const std::string with_fallback = r::render_model_card(run, baseline(), options, kBothFigures);
  EXPECT_TRUE(contains(with_fallback,
                       "no env.json, so the hardware above is the machine that "
                       "generated this card"));
  EXPECT_TRUE(
      contains(with_fallback, "| CPU | Intel Xeon W-2125 (4 cores / 8 threads @ 4.00 GHz) |"));
  const std::string unknown = r::render_model_card(run, baseline(), {}, kBothFigures);
  EXPECT_TRUE(contains(unknown, "no env.json: the hardware is unknown"));
  EXPECT_TRUE(contains(unknown, "| GPU | unknown |"));

  const auto recorded = r::load_run(t::write_fake_run(root_ / "env", t::FakeRun{}));
  const std::string from_run = r::render_model_card(recorded, baseline(), {}, kBothFigures);
  EXPECT_FALSE(contains(from_run, "no env.json"));
  EXPECT_TRUE(contains(from_run, "| GPU | NVIDIA GeForce GTX 1080 Ti (11 GB VRAM, 250 W TDP) |"));
}

TEST_F(ModelCardTest, SaysWhatSparsityMeansAndLeavesOutAMeaninglessTop5) {
  const auto few = r::load_run(t::write_fake_run(root_ / "three", e2am_run()));  // 3 classes
  const std::string card = r::render_model_card(few, baseline(), {}, kBothFigures);
  EXPECT_FALSE(contains(card, "Top-5")) << "every model has top-5 = 1 with 3 classes";
  EXPECT_FALSE(contains(card, "weights are zero"));
  EXPECT_TRUE(contains(card,
                       "12.50% of the weights (of its convolution and linear layers) are "
                       "below 0.001 in magnitude (near zero; none is pruned)"))
      << card;
  t::FakeRun many = e2am_run();
  many.classes = {"a", "b", "c", "d", "e", "f"};
  const auto six = r::load_run(t::write_fake_run(root_ / "six", many));
  EXPECT_TRUE(contains(r::render_model_card(six, baseline(), {}, kBothFigures),
                       "| Top-5 Accuracy | 0.9950 |"));
}

TEST_F(ModelCardTest, SaysWhatWasEvaluatedAndTheLicenseAndBaseModel) {
  t::FakeRun fake = e2am_run();
  fake.class_subset = "5,6,7,8,9";
  fake.eval_limit = 512;
  const auto run = r::load_run(t::write_fake_run(root_ / "subset", fake));
  r::CardOptions options;
  options.license = "apache-2.0";
  options.base_model = "eden-org/mobilevitv3-xxs-upstream";
  const std::string card = r::render_model_card(run, baseline(), options, kBothFigures);
  const YAML::Node y = YAML::Load(front_matter(card));
  const auto dataset = y["model-index"][0]["results"][0]["dataset"];
  EXPECT_EQ(dataset["name"].as<std::string>(),
            "Fashion-MNIST (classes 5,6,7,8,9 only; the first 512 test images)");
  EXPECT_EQ(dataset["args"]["classes"].as<std::string>(), "5,6,7,8,9");
  EXPECT_EQ(dataset["args"]["test_images"].as<int>(), 512);
  EXPECT_EQ(y["license"].as<std::string>(), "apache-2.0");
  EXPECT_EQ(y["base_model"].as<std::string>(), "eden-org/mobilevitv3-xxs-upstream");
  EXPECT_TRUE(contains(card, "not comparable with results on the full benchmark")) << card;
  EXPECT_TRUE(contains(card,
                       "(test split, 10,000 images: classes 5,6,7,8,9 only; the first 512 "
                       "test images)"))
      << card;
  // A local backbone is named as such, not passed off as a Hub model.
  const std::string local = r::render_model_card(run, baseline(), {}, kBothFigures);
  EXPECT_FALSE(YAML::Load(front_matter(local))["base_model"]);
  EXPECT_TRUE(contains(local,
                       "Base model: the backbone in runs/pretrain-five-classes/checkpoint.pt "
                       "(local weights, not a Hub model"))
      << local;
}

TEST_F(ModelCardTest, StatesRanksAndMachinesOfADataParallelRun) {
  t::FakeRun fake = e2am_run();
  fake.ranks = 8;
  fake.machines = {"node-a", "node-b"};
  const auto run = r::load_run(t::write_fake_run(root_ / "dp", fake));
  const std::string card = r::render_model_card(run, baseline(), {}, kBothFigures);
  EXPECT_TRUE(contains(card,
                       "| Data parallel | 8 ranks on 2 machines (gloo, launched as slurm; "
                       "machines node-a, node-b) |"))
      << card;
  EXPECT_TRUE(contains(card, "data-parallel on 8 ranks on 2 machines"));
  EXPECT_TRUE(contains(card, "batch size 64 per rank (effective batch 2,048)")) << card;
  const YAML::Node y = YAML::Load(front_matter(card));
  EXPECT_EQ(y["co2_eq_emissions"]["hardware_used"].as<std::string>(),
            "1 x NVIDIA GeForce GTX 1080 Ti; data-parallel, 8 ranks on 2 machines (rank 0's "
            "machine shown)");
  // One process: none of it.
  const auto single = r::load_run(t::write_fake_run(root_ / "one", e2am_run()));
  const std::string plain = r::render_model_card(single, baseline(), {}, kBothFigures);
  EXPECT_FALSE(contains(plain, "Data parallel"));
  EXPECT_FALSE(contains(plain, "per rank"));
}

TEST_F(ModelCardTest, WritesReadmeWithoutFigures) {
  const auto run = r::load_run(t::write_fake_run(root_ / "w", t::FakeRun{}));
  r::CardOptions options;
  options.draw_figures = false;
  const auto files = r::write_model_card(run, baseline(), options);
  EXPECT_EQ(files.readme, root_ / "w" / "README.md");
  const std::string card = eden::read_file(files.readme);
  EXPECT_TRUE(contains(card, "_Figure not drawn: figures were not requested"));
  EXPECT_FALSE(contains(card, "](training_curve.png)"));
  EXPECT_FALSE(files.training_curve.has_value());

  r::CardOptions bad;
  bad.hub_id = "not a repo id";
  EXPECT_THROW(r::write_model_card(run, baseline(), bad), eden::Error);
}

}  // namespace
