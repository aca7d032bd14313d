// CIFAR binary reader: record layout (label byte(s), then planar R, G, B) decoded exactly, class
// names from the meta file or the published lists, and malformed files rejected by name.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>

#include "../common/image_files.h"
#include "../common/temp_dir.h"
#include "eden/data/cifar_reader.h"
#include "eden/data/image_folder.h"
#include "eden/util/check.h"

using namespace eden::data;
namespace fs = std::filesystem;

namespace {

// n records; record i: label(s) then pixel j of channel c = (i * 7 + c * 31 + j) % 256.
std::vector<uint8_t> records(int n, int label_bytes, int first_label, int num_classes) {
  std::vector<uint8_t> b;
  for (int i = 0; i < n; ++i) {
    const int label = (first_label + i) % num_classes;
    if (label_bytes == 2) b.push_back(static_cast<uint8_t>(label / 5));  // coarse
    b.push_back(static_cast<uint8_t>(label));
    for (int c = 0; c < 3; ++c) {
      for (int j = 0; j < 1024; ++j) b.push_back(static_cast<uint8_t>((i * 7 + c * 31 + j) % 256));
    }
  }
  return b;
}

using CifarTest = eden::testing::TempDirTest;

}  // namespace

TEST_F(CifarTest, Cifar10BatchesDecodeExactly) {
  const auto d = dir_ / "cifar-10-batches-bin";  // the archive's own folder name
  fs::create_directories(d);
  for (int b = 1; b <= 5; ++b) {
    eden::testing::write_bytes((d / ("data_batch_" + std::to_string(b) + ".bin")).string(),
                               records(3, 1, b, 10));
  }
  eden::testing::write_bytes((d / "test_batch.bin").string(), records(4, 1, 0, 10));
  ASSERT_TRUE(is_cifar_folder(dir_));
  EXPECT_FALSE(is_image_folder(d));
  const auto s = load_cifar_folder(dir_);
  EXPECT_EQ(s.report.format, "cifar-10");
  EXPECT_EQ(s.train.images.sizes(), (torch::IntArrayRef{15, 3, 32, 32}));
  EXPECT_EQ(s.test.size(), 4);
  EXPECT_EQ(s.train.classes.front(), "airplane");
  EXPECT_EQ(s.train.labels[3].item<int64_t>(), 2);  // batch 2, record 0
  // Pixel (c=1, y=2, x=5) of record 1 of batch 1: (1*7 + 31 + 2*32+5) % 256.
  EXPECT_EQ(s.train.images[1][1][2][5].item<uint8_t>(), (7 + 31 + 69) % 256);
}

TEST_F(CifarTest, Cifar100UsesFineLabelsAndMetaNames) {
  eden::testing::write_bytes((dir_ / "train.bin").string(), records(6, 2, 95, 100));
  eden::testing::write_bytes((dir_ / "test.bin").string(), records(2, 2, 0, 100));
  std::string names;
  for (int i = 0; i < 100; ++i) names += "class" + std::to_string(i) + "\n";
  eden::testing::write_bytes((dir_ / "fine_label_names.txt").string(),
                             std::vector<uint8_t>(names.begin(), names.end()));
  const auto s = load_cifar_folder(dir_);
  EXPECT_EQ(s.report.format, "cifar-100");
  EXPECT_EQ(s.train.num_classes(), 100);
  EXPECT_EQ(s.train.classes[99], "class99");
  EXPECT_EQ(s.train.labels[0].item<int64_t>(), 95);  // fine, not coarse (19)
  EXPECT_EQ(s.train.labels[5].item<int64_t>(), 0);
}

TEST_F(CifarTest, MalformedFilesAreNamedErrors) {
  auto truncated = records(2, 1, 0, 10);
  truncated.pop_back();
  try {
    parse_cifar_records(truncated, 1, std::vector<std::string>(10, "x"), "data_batch_1.bin");
    ADD_FAILURE();
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find("data_batch_1.bin"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("whole number"), std::string::npos);
  }
  auto bad_label = records(1, 1, 0, 10);
  bad_label[0] = 10;
  EXPECT_THROW(parse_cifar_records(bad_label, 1, std::vector<std::string>(10, "x"), "f"),
               eden::Error);
  EXPECT_THROW(parse_cifar_records({}, 1, std::vector<std::string>(10, "x"), "f"), eden::Error);
  // a meta file with the wrong number of names
  eden::testing::write_bytes((dir_ / "data_batch_1.bin").string(), records(1, 1, 0, 10));
  eden::testing::write_bytes((dir_ / "test_batch.bin").string(), records(1, 1, 0, 10));
  eden::testing::write_bytes((dir_ / "batches.meta.txt").string(), {'a', '\n', 'b', '\n'});
  EXPECT_THROW(load_cifar_folder(dir_), eden::Error);
}
