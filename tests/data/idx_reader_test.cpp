// IDX reader: valid files (raw and gzip) decode exactly; each kind of corrupt file is rejected
// with an error naming the file.
#include <gtest/gtest.h>
#include <zlib.h>

#include <filesystem>
#include <fstream>

#include "eden/data/idx_reader.h"
#include "eden/util/check.h"

namespace fs = std::filesystem;
using eden::data::read_idx_file;

namespace {

std::vector<uint8_t> idx_bytes(std::vector<uint32_t> dims, const std::vector<uint8_t>& data,
                               uint8_t type = 0x08) {
  std::vector<uint8_t> b = {0, 0, type, static_cast<uint8_t>(dims.size())};
  for (uint32_t d : dims) {
    for (int s = 24; s >= 0; s -= 8) b.push_back(static_cast<uint8_t>(d >> s));
  }
  b.insert(b.end(), data.begin(), data.end());
  return b;
}

class IdxTest : public ::testing::Test {
 protected:
  void SetUp() override {
    dir_ = fs::temp_directory_path() /
           ("eden_idx_" + std::to_string(::getpid()) + "_" +
            ::testing::UnitTest::GetInstance()->current_test_info()->name());
    fs::create_directories(dir_);
  }
  void TearDown() override { fs::remove_all(dir_); }

  fs::path write(const std::string& name, const std::vector<uint8_t>& bytes, bool gz = false) {
    const auto p = dir_ / name;
    if (gz) {
      gzFile f = gzopen(p.c_str(), "wb");
      gzwrite(f, bytes.data(), static_cast<unsigned>(bytes.size()));
      gzclose(f);
    } else {
      std::ofstream(p, std::ios::binary)
          .write(reinterpret_cast<const char*>(bytes.data()), bytes.size());
    }
    return p;
  }

  void expect_error(const fs::path& p, const std::string& fragment) {
    try {
      read_idx_file(p);
      FAIL() << "no error for " << p;
    } catch (const eden::Error& e) {
      const std::string what = e.what();
      EXPECT_NE(what.find(p.string()), std::string::npos) << what;
      EXPECT_NE(what.find(fragment), std::string::npos) << what;
    }
  }

  fs::path dir_;
};

std::vector<uint8_t> ramp(size_t n) {
  std::vector<uint8_t> v(n);
  for (size_t i = 0; i < n; ++i) v[i] = static_cast<uint8_t>(i * 7);
  return v;
}

}  // namespace

TEST_F(IdxTest, RawAndGzipDecodeToTheSameTensor) {
  const auto data = ramp(2 * 3 * 4);
  auto raw = read_idx_file(write("a", idx_bytes({2, 3, 4}, data)));
  auto gz = read_idx_file(write("a.gz", idx_bytes({2, 3, 4}, data), true));
  ASSERT_EQ(raw.sizes(), torch::IntArrayRef({2, 3, 4}));
  EXPECT_TRUE(raw.equal(gz));
  EXPECT_EQ(raw[1][2][3].item<int>(), data[23]);
  EXPECT_EQ(raw.scalar_type(), torch::kUInt8);
}

TEST_F(IdxTest, RejectsBadMagic) {
  auto b = idx_bytes({4}, ramp(4));
  b[0] = 0x1f;
  b[1] = 0x00;
  expect_error(write("bad_magic", b), "bad magic number");
}

TEST_F(IdxTest, RejectsNonByteElementType) {
  expect_error(write("floats", idx_bytes({1}, {0, 0, 0, 0}, 0x0D)), "not unsigned byte");
}

TEST_F(IdxTest, RejectsTruncatedPayload) {
  auto b = idx_bytes({10, 10}, ramp(100));
  b.resize(b.size() - 1);
  expect_error(write("trunc", b), "truncated");
  expect_error(write("trunc.gz", b, true), "truncated");
}

TEST_F(IdxTest, RejectsTruncatedHeader) {
  auto b = idx_bytes({10, 10}, {});
  b.resize(9);
  expect_error(write("short_header", b), "truncated IDX header");
  expect_error(write("tiny", {0, 0}), "too short");
}

TEST_F(IdxTest, RejectsTrailingBytes) {
  auto b = idx_bytes({4}, ramp(5));
  expect_error(write("trailing", b), "unexpected bytes");
}

TEST_F(IdxTest, RejectsTruncatedGzipStream) {
  const auto p = write("cut.gz", idx_bytes({64, 64}, ramp(64 * 64)), true);
  auto size = fs::file_size(p);
  fs::resize_file(p, size / 2);
  expect_error(p, "gzip");
}

TEST_F(IdxTest, RejectsMissingFile) {
  expect_error(dir_ / "nope", "cannot read");
}

TEST_F(IdxTest, RejectsImageLabelCountMismatch) {
  const auto images = write("img", idx_bytes({3, 2, 2}, ramp(12)));
  const auto labels = write("lab", idx_bytes({2}, {0, 1}));
  try {
    eden::data::load_idx_split(images, labels, {"a", "b"});
    FAIL();
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find("3 images"), std::string::npos) << e.what();
  }
}

TEST_F(IdxTest, RejectsLabelOutOfRange) {
  const auto images = write("img", idx_bytes({2, 2, 2}, ramp(8)));
  const auto labels = write("lab", idx_bytes({2}, {0, 7}));
  EXPECT_THROW(eden::data::load_idx_split(images, labels, {"a", "b"}), eden::Error);
}

TEST_F(IdxTest, MissingFolderGivesHint) {
  try {
    eden::data::load_mnist_folder(dir_ / "absent");
    FAIL();
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find("hint"), std::string::npos);
  }
}

TEST(FashionMnist, DebianPackageLoadsWithExpectedShapes) {
  if (!fs::exists(eden::data::kDefaultFashionMnistDir)) {
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  }
  const auto s = eden::data::load_mnist_folder(eden::data::kDefaultFashionMnistDir);
  EXPECT_EQ(s.name, "fashion-mnist");
  EXPECT_EQ(s.train.images.sizes(), torch::IntArrayRef({60000, 1, 28, 28}));
  EXPECT_EQ(s.test.images.sizes(), torch::IntArrayRef({10000, 1, 28, 28}));
  EXPECT_EQ(s.train.classes.size(), 10u);
  EXPECT_EQ(s.train.classes[9], "Ankle boot");
  // Fashion-MNIST is balanced: 6000 training images per class.
  auto counts = torch::bincount(s.train.labels);
  EXPECT_TRUE(counts.eq(6000).all().item<bool>());
}
