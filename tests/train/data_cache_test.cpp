// The decoded cache as `eden train` users meet it: the first run on an image folder decodes and
// stores it, the next one starts from the cache and says so, and run.json records which.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>

#include "../common/image_files.h"
#include "../common/process.h"
#include "../common/temp_dir.h"

namespace fs = std::filesystem;
namespace t = eden::testing;

namespace {

class DataCacheRun : public t::TempDirTest {
 protected:
  void SetUp() override {
    t::TempDirTest::SetUp();
    tree_ = dir_ / "shapes";
    const char* names[] = {"ant", "bee"};
    for (int k = 0; k < 2; ++k) {
      fs::create_directories(tree_ / names[k]);
      for (int i = 0; i < 6; ++i) {
        const int h = 36 + i, w = 40;
        auto rgb = t::photo_like_rgb(h, w, static_cast<uint32_t>(10 * k + i));
        for (size_t p = k; p < rgb.size(); p += 3) rgb[p] = 255;  // class k: channel k saturated
        t::write_bytes((tree_ / names[k] / (std::to_string(i) + ".jpg")).string(),
                       t::encode_jpeg(rgb, h, w));
      }
    }
  }

  /// One epoch of `eden train` on the folder; `env` and `flags` added to the command.
  std::string train(const std::string& name, const std::string& env, const std::string& flags) {
    const std::string cmd = "EDEN_NO_PROGRESS=1 " + env + " " + EDEN_BINARY + " train --data " +
                            tree_.string() + " --out " + (dir_ / name).string() +
                            " --model small_cnn --image-size 32 --epochs 1 --batch-size 4"
                            " --val-split 0.25 --threads 1 " +
                            flags;
    const auto log = dir_ / (name + ".log");
    const auto status = t::wait_exit(t::spawn(cmd, log));
    const std::string said = t::file_text(log);
    EXPECT_EQ(status.code, 0) << said;
    return said;
  }

  nlohmann::json data_load(const std::string& name) const {
    return nlohmann::json::parse(t::file_text(dir_ / name / "run.json")).at("data_load");
  }

  static std::string data_line(const std::string& said) {
    const auto begin = said.find("data: image-folder");
    return begin == std::string::npos ? "" : said.substr(begin, said.find('\n', begin) - begin);
  }

  fs::path tree_;
};

}  // namespace

TEST_F(DataCacheRun, SecondRunStartsFromTheCacheAndSaysSo) {
  // The default (auto) follows EDEN_DATA_CACHE.
  const auto cache = dir_ / "cache";
  const std::string env = "EDEN_DATA_CACHE=" + cache.string();
  const auto first = data_line(train("first", env, ""));
  const auto written = data_load("first");
  EXPECT_EQ(written.at("cache"), "written") << written;
  const std::string entry = written.at("cache_path");
  EXPECT_EQ(fs::path(entry).parent_path(), cache);
  EXPECT_TRUE(fs::exists(entry));
  EXPECT_NE(first.find("; cached to " + entry), std::string::npos) << first;
  EXPECT_TRUE(written.at("load_s").is_number());
  EXPECT_TRUE(written.contains("energy_j"));  // the decode's own energy, apart from training

  const auto second = data_line(train("second", env, ""));
  const auto hit = data_load("second");
  EXPECT_EQ(hit.at("cache"), "hit") << hit;
  EXPECT_EQ(hit.at("cache_path"), entry);
  EXPECT_EQ(hit.at("images_loaded"), written.at("images_loaded"));
  EXPECT_NE(second.find("from the decoded cache " + entry), std::string::npos) << second;
  EXPECT_EQ(second.find("cached to"), std::string::npos) << second;

  // An explicit folder and off.
  const auto mine = dir_ / "mine";
  train("third", env, "--data-cache " + mine.string());
  EXPECT_EQ(data_load("third").at("cache"), "written");
  EXPECT_EQ(fs::path(data_load("third").at("cache_path").get<std::string>()).parent_path(), mine);
  train("fourth", env, "--data-cache off");
  EXPECT_EQ(data_load("fourth").at("cache"), "off");
  EXPECT_FALSE(data_load("fourth").contains("cache_path"));
  const std::string saved = t::file_text(dir_ / "fourth" / "config.yaml");
  EXPECT_NE(saved.find("data_cache: \"off\""), std::string::npos) << saved;
}
