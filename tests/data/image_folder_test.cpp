// Image folders: layouts (class folders with a seeded stratified split, train/val sub-trees),
// every bad-input case skipped, counted and listed (or an error with --strict), labels that
// always match the folder, and the encoded-in-RAM mode giving the same pixels as the decoded one.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <set>

#include "../common/image_files.h"
#include "../common/temp_dir.h"
#include "eden/data/batch_loader.h"
#include "eden/data/image_folder.h"
#include "eden/data/image_preprocess.h"
#include "eden/util/check.h"

using namespace eden::data;
using namespace eden::testing;
namespace fs = std::filesystem;

namespace {

// Class k's images are a flat colour: red channel = 40 + 60 k, so a label can be checked from
// the pixels alone; green = 60 + 10 i tells the files of a class apart.
uint8_t class_red(int k) {
  return static_cast<uint8_t>(40 + 60 * k);
}

class ImageFolderTest : public TempDirTest {
 protected:
  // Writes `n` images of class colour `k` into dir/<name>, alternating JPEG and PNG kinds.
  void add_class(const fs::path& dir, const std::string& name, int k, int n) {
    fs::create_directories(dir / name);
    for (int i = 0; i < n; ++i) {
      const int h = 20 + 3 * i, w = 30 - i;
      const auto rgb = solid_rgb(h, w, class_red(k), static_cast<uint8_t>(60 + 10 * i), 50);
      std::vector<uint8_t> bytes;
      switch (i % 4) {
        case 0:
          bytes = encode_jpeg(rgb, h, w);
          break;
        case 1:
          bytes = encode_png(rgb, h, w, PngKind::kRgb8);
          break;
        case 2:
          bytes = encode_jpeg(rgb, h, w, JpegKind::kProgressive);
          break;
        default:
          bytes = encode_png(rgb, h, w, PngKind::kPalette);
          break;
      }
      // Extensions lie on purpose for some: the format is decided by content.
      write_bytes(
          (dir / name / ("img" + std::to_string(i) + (i % 3 == 2 ? ".png" : ".jpg"))).string(),
          bytes);
    }
  }

  ImageFolderOptions options() const {
    ImageFolderOptions o;
    o.image_size = 16;
    o.val_split = 0.25;
    o.threads = 2;
    o.progress = false;
    return o;
  }

  static void expect_labels_match_pixels(const ImageDataset& ds) {
    const auto idx = torch::arange(ds.size(), torch::kLong);
    const auto px = ds.gather(idx);  // (N, 3, S, S)
    const auto red = px.select(1, 0).to(torch::kFloat).mean({1, 2});
    for (int64_t i = 0; i < ds.size(); ++i) {
      const int64_t label = ds.labels[i].item<int64_t>();
      const int k = std::stoi(ds.classes[label].substr(ds.classes[label].size() - 1));
      EXPECT_NEAR(red[i].item<float>(), class_red(k), 3.0) << "sample " << i;
    }
  }

  const fs::path& root_ = dir_;
};

std::set<std::string> skipped_names(const LoadReport& r) {
  std::set<std::string> out;
  for (const auto& s : r.skipped) out.insert(fs::path(s.path).filename().string());
  return out;
}

}  // namespace

TEST_F(ImageFolderTest, ClassFoldersWithAStratifiedSeededSplit) {
  add_class(root_, "c_0", 0, 8);
  add_class(root_, "b_1", 1, 8);
  add_class(root_, "a_2", 2, 4);
  const auto d = load_image_folder(root_, options());
  ASSERT_EQ(d.train.classes, (std::vector<std::string>{"a_2", "b_1", "c_0"}));  // sorted
  EXPECT_EQ(d.train.classes, d.test.classes);
  EXPECT_EQ(d.report.format, "image-folder");
  EXPECT_EQ(d.report.mode, "decoded");
  EXPECT_EQ(d.report.files_seen, 20);
  EXPECT_EQ(d.report.images_loaded, 20);
  EXPECT_TRUE(d.report.skipped.empty());
  EXPECT_EQ(d.train.images.sizes(), (torch::IntArrayRef{15, 3, 16, 16}));
  EXPECT_EQ(d.test.size(), 5);
  // Stratified: round(0.25 * n) of each class held out.
  const auto counts = torch::bincount(d.test.labels, {}, 3);
  EXPECT_EQ(counts[0].item<int64_t>(), 1);
  EXPECT_EQ(counts[1].item<int64_t>(), 2);
  EXPECT_EQ(counts[2].item<int64_t>(), 2);
  expect_labels_match_pixels(d.train);
  expect_labels_match_pixels(d.test);

  // The same seed gives the same split; another seed another one.
  const auto again = load_image_folder(root_, options());
  EXPECT_TRUE(torch::equal(again.test.images, d.test.images));
  auto o = options();
  o.seed = 7;
  const auto other = load_image_folder(root_, o);
  EXPECT_EQ(other.test.size(), 5);
  EXPECT_TRUE(torch::equal(other.test.labels, d.test.labels));   // same strata
  EXPECT_FALSE(torch::equal(other.test.images, d.test.images));  // other files held out
}

TEST_F(ImageFolderTest, StoredPixelsAreTheStorageTransformOfEachFile) {
  fs::create_directories(root_ / "x_0");
  fs::create_directories(root_ / "y_1");
  const auto a = photo_like_rgb(40, 60, 1), b = photo_like_rgb(50, 30, 2);
  const auto fa = encode_png(a, 40, 60, PngKind::kRgb8), fb = encode_jpeg(b, 50, 30);
  write_bytes((root_ / "x_0" / "a.png").string(), fa);
  write_bytes((root_ / "x_0" / "a2.png").string(), fa);
  write_bytes((root_ / "y_1" / "b.jpg").string(), fb);
  write_bytes((root_ / "y_1" / "b2.jpg").string(), fb);
  auto o = options();
  o.val_split = 0.5;
  const auto d = load_image_folder(root_, o);
  std::vector<uint8_t> expect_a(3 * 16 * 16), expect_b(3 * 16 * 16);
  decode_to_square(fa.data(), fa.size(), 16, expect_a.data());
  decode_to_square(fb.data(), fb.size(), 16, expect_b.data());
  for (const auto* ds : {&d.train, &d.test}) {
    for (int64_t i = 0; i < ds->size(); ++i) {
      const auto& expect = ds->labels[i].item<int64_t>() == 0 ? expect_a : expect_b;
      const auto row = ds->images[i].contiguous();
      EXPECT_EQ(std::memcmp(row.data_ptr<uint8_t>(), expect.data(), expect.size()), 0);
    }
  }
}

TEST_F(ImageFolderTest, EveryBadInputIsSkippedCountedAndListed) {
  add_class(root_, "good_0", 0, 6);
  add_class(root_, "good_1", 1, 6);
  // corrupt (truncated) JPEG and a non-image file in good classes
  auto jpg = encode_jpeg(photo_like_rgb(64, 64, 3), 64, 64);
  jpg.resize(jpg.size() / 2);
  write_bytes((root_ / "good_0" / "truncated.jpg").string(), jpg);
  write_bytes((root_ / "good_1" / "notes.txt").string(), {'h', 'i', '\n'});
  write_bytes((root_ / "good_1" / "zero.jpg").string(), {});
  // an unreadable file: a dangling symbolic link (unreadable even as root)
  fs::create_symlink(root_ / "gone.jpg", root_ / "good_0" / "dangling.jpg");
  // an empty class folder, a class with one image, a class whose only files are broken
  fs::create_directories(root_ / "empty_3");
  add_class(root_, "single_4", 1, 1);
  fs::create_directories(root_ / "broken_5");
  write_bytes((root_ / "broken_5" / "x.png").string(),
              {0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 0});
  write_bytes((root_ / "broken_5" / "y.png").string(), {1, 2, 3});
  // a file outside any class folder, and hidden entries (ignored)
  write_bytes((root_ / "LICENSE").string(), {'x'});
  write_bytes((root_ / "good_0" / ".DS_Store").string(), {'x'});

  const auto d = load_image_folder(root_, options());
  EXPECT_EQ(d.train.classes, (std::vector<std::string>{"good_0", "good_1"}));
  expect_labels_match_pixels(d.train);
  expect_labels_match_pixels(d.test);
  EXPECT_EQ(d.train.size() + d.test.size(), 12);
  const auto names = skipped_names(d.report);
  for (const char* n : {"truncated.jpg", "notes.txt", "zero.jpg", "dangling.jpg", "empty_3",
                        "single_4", "img0.jpg", "x.png", "y.png", "broken_5", "LICENSE"}) {
    EXPECT_EQ(names.count(n), 1u) << n;
  }
  EXPECT_EQ(names.count(".DS_Store"), 0u);
  auto reason = [&](const std::string& file) {
    for (const auto& s : d.report.skipped) {
      if (fs::path(s.path).filename() == file) return s.reason;
    }
    return std::string();
  };
  EXPECT_NE(reason("truncated.jpg").find("truncated"), std::string::npos)
      << reason("truncated.jpg");
  EXPECT_NE(reason("notes.txt").find("not an image"), std::string::npos);
  EXPECT_NE(reason("zero.jpg").find("empty file"), std::string::npos);
  EXPECT_NE(reason("dangling.jpg").find("cannot open"), std::string::npos);
  EXPECT_NE(reason("empty_3").find("empty class folder"), std::string::npos);
  EXPECT_NE(reason("single_4").find("only 1 usable image"), std::string::npos);
  EXPECT_NE(reason("LICENSE").find("not inside a class folder"), std::string::npos);
  EXPECT_EQ(d.report.files_seen, 12 + 4 + 1 + 2);  // LICENSE is not a candidate

  // --strict: the same tree is an error that names the count and the first files.
  auto o = options();
  o.strict = true;
  try {
    load_image_folder(root_, o);
    ADD_FAILURE() << "strict load succeeded";
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--strict"), std::string::npos) << e.what();
  }
}

TEST_F(ImageFolderTest, UnreadableFileIsSkippedWhenNotRoot) {
  if (::geteuid() == 0)
    GTEST_SKIP() << "root reads mode-000 files; the dangling-link case covers it";
  add_class(root_, "a_0", 0, 3);
  add_class(root_, "b_1", 1, 3);
  const auto locked = root_ / "a_0" / "img0.jpg";
  fs::permissions(locked, fs::perms::none);
  const auto d = load_image_folder(root_, options());
  fs::permissions(locked, fs::perms::owner_all);
  ASSERT_EQ(d.report.skipped.size(), 1u);
  EXPECT_NE(d.report.skipped[0].reason.find("Permission denied"), std::string::npos);
}

TEST_F(ImageFolderTest, TrainAndValSubTrees) {
  add_class(root_ / "train", "cat_0", 0, 3);
  add_class(root_ / "train", "dog_1", 1, 3);
  add_class(root_ / "val", "cat_0", 0, 2);
  add_class(root_ / "val", "dog_1", 1, 1);
  add_class(root_ / "val", "eel_2", 2, 2);  // no training images: skipped, not a new class
  const auto d = load_image_folder(root_, options());
  EXPECT_EQ(d.train.classes, (std::vector<std::string>{"cat_0", "dog_1"}));
  EXPECT_EQ(d.train.size(), 6);
  EXPECT_EQ(d.test.size(), 3);
  EXPECT_EQ(d.report.split, "folders train/val");
  EXPECT_EQ(d.report.skipped.size(), 2u);
  expect_labels_match_pixels(d.train);
  expect_labels_match_pixels(d.test);
}

TEST_F(ImageFolderTest, LimitPerClass) {
  add_class(root_, "a_0", 0, 8);
  add_class(root_, "b_1", 1, 5);
  auto o = options();
  o.limit_per_class = 4;
  const auto d = load_image_folder(root_, o);
  EXPECT_EQ(d.report.files_seen, 8);
  EXPECT_EQ(d.train.size() + d.test.size(), 8);
}

TEST_F(ImageFolderTest, UnusableTreesAreClearErrors) {
  auto expect_error = [&](const std::string& fragment) {
    try {
      load_image_folder(root_, options());
      ADD_FAILURE() << "no error, expected " << fragment;
    } catch (const eden::Error& e) {
      EXPECT_NE(std::string(e.what()).find(fragment), std::string::npos) << e.what();
    }
  };
  expect_error("has no files in class folders");  // empty root
  fs::create_directories(root_ / "a");
  write_bytes((root_ / "a" / "x.txt").string(), {'x'});
  write_bytes((root_ / "a" / "y.txt").string(), {'y'});
  expect_error("none of 2 files is a readable JPEG or PNG");
  add_class(root_, "b_1", 1, 4);
  expect_error("at least 2");  // one usable class
  EXPECT_THROW(load_image_folder(root_ / "missing", options()), eden::Error);
  auto o = options();
  o.val_split = 1.5;
  EXPECT_THROW(load_image_folder(root_, o), eden::Error);
}

TEST_F(ImageFolderTest, EncodedModeGivesTheSamePixelsAndBatches) {
  add_class(root_, "a_0", 0, 6);
  add_class(root_, "b_1", 1, 6);
  fs::create_directories(root_ / "c_2");
  for (int i = 0; i < 6; ++i) {  // photo-like content: pixels differ between samples
    const auto rgb = photo_like_rgb(40 + i, 50, static_cast<uint32_t>(i));
    write_bytes((root_ / "c_2" / ("p" + std::to_string(i) + ".jpg")).string(),
                encode_jpeg(rgb, 40 + i, 50));
  }
  auto o = options();
  o.image_size = 64;
  const auto decoded = load_image_folder(root_, o);
  o.memory_budget_bytes = 100000;  // decoded: 18 x 12288 bytes; encoded: a few KiB
  const auto encoded = load_image_folder(root_, o);
  EXPECT_EQ(encoded.report.mode, "encoded");
  EXPECT_TRUE(encoded.train.is_encoded());
  EXPECT_EQ(encoded.train.height(), 64);
  EXPECT_TRUE(torch::equal(encoded.train.labels, decoded.train.labels));
  const auto all = torch::arange(decoded.train.size(), torch::kLong);
  EXPECT_TRUE(torch::equal(encoded.train.gather(all), decoded.train.images));

  LoaderOptions lo;
  lo.batch_size = 4;
  lo.seed = 3;
  BatchLoader a(decoded.train, lo), b(encoded.train, lo);  // b decodes one batch ahead
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    a.set_epoch(epoch);
    b.set_epoch(epoch);
    ASSERT_EQ(a.num_batches(), b.num_batches());
    for (int64_t i = 0; i < a.num_batches(); ++i) {
      const auto x = a.batch(i), y = b.batch(i);
      EXPECT_TRUE(torch::equal(x.x, y.x)) << "epoch " << epoch << " batch " << i;
      EXPECT_TRUE(torch::equal(x.y, y.y));
    }
  }
  // An encoded set that does not even fit the budget encoded is an error with a hint.
  o.memory_budget_bytes = 10;
  try {
    load_image_folder(root_, o);
    ADD_FAILURE();
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--limit-per-class"), std::string::npos) << e.what();
  }
}

TEST(MemorySize, ParsesUnitsAndRejectsJunk) {
  EXPECT_EQ(parse_memory_size("auto"), 0);
  EXPECT_EQ(parse_memory_size("512M"), int64_t{512} << 20);
  EXPECT_EQ(parse_memory_size("48G"), int64_t{48} << 30);
  EXPECT_EQ(parse_memory_size("1.5GiB"), int64_t{3} << 29);
  EXPECT_EQ(parse_memory_size("4096"), 4096);
  for (const char* bad : {"lots", "-5G", "12Q", "G"}) {
    EXPECT_THROW(parse_memory_size(bad), eden::Error) << bad;
  }
  EXPECT_GT(default_memory_budget(), 0);
}
