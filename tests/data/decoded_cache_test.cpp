// The decoded cache of image folders: a hit gives exactly what decoding gives, any change of
// what decides the pixels misses, a truncated or corrupt entry is rebuilt and never trusted, an
// unwritable cache never fails the load, and concurrent writers leave one whole file.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <optional>
#include <regex>
#include <set>

#include "../common/image_files.h"
#include "../common/temp_dir.h"
#include "eden/data/decoded_cache.h"
#include "eden/data/image_folder.h"
#include "eden/util/check.h"
#include "eden/util/fs.h"

using namespace eden::data;
using namespace eden::testing;
namespace fs = std::filesystem;

namespace {

class DecodedCacheTest : public TempDirTest {
 protected:
  void SetUp() override {
    TempDirTest::SetUp();
    tree_ = dir_ / "pets";
    cache_ = dir_ / "cache";
    const char* names[] = {"cat", "dog", "eel"};
    for (int k = 0; k < 3; ++k) {
      fs::create_directories(tree_ / names[k]);
      for (int i = 0; i < 6; ++i) {
        const int h = 20 + 2 * i, w = 26;
        auto rgb = photo_like_rgb(h, w, static_cast<uint32_t>(10 * k + i));
        const auto bytes =
            i % 2 == 0 ? encode_jpeg(rgb, h, w) : encode_png(rgb, h, w, PngKind::kRgb8);
        write_bytes(
            (tree_ / names[k] / (std::to_string(i) + (i % 2 == 0 ? ".jpg" : ".png"))).string(),
            bytes);
      }
    }
    write_bytes((tree_ / "eel" / "notes.txt").string(), {'h', 'i'});  // skipped, and cached so
  }

  ImageFolderOptions options(bool cached = true) const {
    ImageFolderOptions o;
    o.image_size = 16;
    o.val_split = 0.25;
    o.threads = 2;
    o.progress = false;
    if (cached) o.cache_dir = cache_;
    return o;
  }

  static void expect_same(const DataSplits& a, const DataSplits& b) {
    EXPECT_EQ(a.name, b.name);
    EXPECT_EQ(a.train.classes, b.train.classes);
    EXPECT_EQ(a.test.classes, b.test.classes);
    ASSERT_EQ(a.train.images.sizes(), b.train.images.sizes());
    ASSERT_EQ(a.test.images.sizes(), b.test.images.sizes());
    EXPECT_TRUE(torch::equal(a.train.images, b.train.images));  // bit for bit
    EXPECT_TRUE(torch::equal(a.test.images, b.test.images));
    EXPECT_TRUE(torch::equal(a.train.labels, b.train.labels));
    EXPECT_TRUE(torch::equal(a.test.labels, b.test.labels));
    EXPECT_EQ(a.report.split, b.report.split);
    EXPECT_EQ(a.report.files_seen, b.report.files_seen);
    EXPECT_EQ(a.report.images_loaded, b.report.images_loaded);
    ASSERT_EQ(a.report.skipped.size(), b.report.skipped.size());
    for (size_t i = 0; i < a.report.skipped.size(); ++i) {
      EXPECT_EQ(a.report.skipped[i].path, b.report.skipped[i].path);
      EXPECT_EQ(a.report.skipped[i].reason, b.report.skipped[i].reason);
    }
  }

  std::vector<fs::path> cache_files() const {
    std::vector<fs::path> out;
    if (!fs::exists(cache_)) return out;
    for (const auto& e : fs::directory_iterator(cache_)) out.push_back(e.path());
    std::sort(out.begin(), out.end());
    return out;
  }

  static bool mapped(const std::string& path) {
    return eden::read_file("/proc/self/maps").find(path) != std::string::npos;
  }

  fs::path tree_, cache_;
};

void flip_byte(const fs::path& path, int64_t offset) {
  std::fstream f(path, std::ios::in | std::ios::out | std::ios::binary);
  f.seekg(offset);
  const char c = static_cast<char>(f.get());
  f.seekp(offset);
  f.put(static_cast<char>(c ^ 0x10));
}

}  // namespace

TEST_F(DecodedCacheTest, FirstLoadWritesAndTheSecondHitsWithIdenticalData) {
  const auto reference = load_image_folder(tree_, options(false));
  EXPECT_EQ(reference.report.cache, "off");
  EXPECT_TRUE(reference.report.cache_path.empty());
  ASSERT_EQ(reference.report.skipped.size(), 1u);

  const auto first = load_image_folder(tree_, options());
  EXPECT_EQ(first.report.cache, "written") << first.report.cache_reason;
  const fs::path entry = first.report.cache_path;
  EXPECT_EQ(entry.parent_path(), cache_);
  EXPECT_TRUE(std::regex_match(entry.filename().string(), std::regex("pets-[0-9a-f]{16}\\.edc")))
      << entry;
  EXPECT_EQ(cache_files(), std::vector<fs::path>{entry});  // no temp file left
  const auto pixel_bytes = static_cast<uintmax_t>(reference.report.images_loaded * 3 * 16 * 16);
  EXPECT_EQ((fs::file_size(entry) - pixel_bytes) % 4096, 0u) << "the pixels start on a page";
  expect_same(first, reference);

  {
    const auto second = load_image_folder(tree_, options());
    EXPECT_EQ(second.report.cache, "hit") << second.report.cache_reason;
    EXPECT_EQ(second.report.cache_path, entry.string());
    EXPECT_EQ(second.report.mode, "decoded");
    expect_same(second, reference);
    // The data set's pixels are the mapped file itself, not a copy.
    EXPECT_TRUE(mapped(entry.string()));
  }
  EXPECT_FALSE(mapped(entry.string())) << "the last view unmaps it";

  // The same folder named with a trailing slash is the same entry, skipped paths included.
  const auto slash = load_image_folder(tree_.string() + "/", options());
  EXPECT_EQ(slash.report.cache, "hit");
  EXPECT_EQ(slash.report.skipped.at(0).path, (tree_ / "eel" / "notes.txt").string());
}

TEST_F(DecodedCacheTest, TrainValFoldersHitToo) {
  fs::create_directories(dir_ / "split");
  fs::rename(tree_, dir_ / "split" / "train");
  fs::create_directories(dir_ / "split" / "val");
  fs::copy(dir_ / "split" / "train", dir_ / "split" / "val", fs::copy_options::recursive);
  const auto reference = load_image_folder(dir_ / "split", options(false));
  EXPECT_EQ(load_image_folder(dir_ / "split", options()).report.cache, "written");
  const auto hit = load_image_folder(dir_ / "split", options());
  EXPECT_EQ(hit.report.cache, "hit");
  expect_same(hit, reference);
}

TEST_F(DecodedCacheTest, AChangedFileImageSizeOrSplitMisses) {
  const auto first = load_image_folder(tree_, options());
  ASSERT_EQ(first.report.cache, "written");
  std::set<std::string> entries = {first.report.cache_path};
  auto expect_new_entry = [&](const ImageFolderOptions& o, const char* what) {
    const auto d = load_image_folder(tree_, o);
    EXPECT_EQ(d.report.cache, "written") << what;
    EXPECT_TRUE(entries.insert(d.report.cache_path).second) << what << ": " << d.report.cache_path;
    expect_same(d, load_image_folder(tree_, [o] {
                  auto off = o;
                  off.cache_dir.clear();
                  return off;
                }()));
  };
  // Only the mtime (1 ns later), then only the size.
  const auto file = tree_ / "dog" / "2.jpg";
  fs::last_write_time(file, fs::last_write_time(file) + std::chrono::nanoseconds(1));
  expect_new_entry(options(), "touched");
  { std::ofstream(file, std::ios::app | std::ios::binary) << '\0'; }  // after EOI: same pixels
  expect_new_entry(options(), "grown");
  auto o = options();
  o.image_size = 20;
  expect_new_entry(o, "image size");
  o = options();
  o.seed = 3;
  expect_new_entry(o, "split seed");
  o = options();
  o.val_split = 0.5;
  expect_new_entry(o, "val split");
  o = options();
  o.limit_per_class = 4;
  expect_new_entry(o, "limit per class");
  // Unchanged settings of the last state hit its entry; settings that do not change the pixels
  // (threads, strict without skips' effect, the budget) share it.
  o = options();
  o.threads = 1;
  o.memory_budget_bytes = int64_t{1} << 30;
  const auto again = load_image_folder(tree_, o);
  EXPECT_EQ(again.report.cache, "hit");
  EXPECT_EQ(cache_files().size(), entries.size());
}

TEST_F(DecodedCacheTest, TruncatedCorruptOrForeignEntriesAreRebuilt) {
  const auto reference = load_image_folder(tree_, options(false));
  const fs::path entry = load_image_folder(tree_, options()).report.cache_path;
  const auto bytes = static_cast<int64_t>(fs::file_size(entry));
  const std::string good = eden::read_file(entry);
  struct Damage {
    const char* what;
    std::function<void()> apply;
    const char* reason;
  };
  const std::vector<Damage> damages = {
      {"truncated", [&] { fs::resize_file(entry, bytes - 1000); }, "truncated"},
      {"cut in the header", [&] { fs::resize_file(entry, 100); }, "truncated"},
      {"a flipped pixel byte", [&] { flip_byte(entry, bytes - 1); }, "pixel chunk 0 of 1: CRC32"},
      {"a flipped header byte", [&] { flip_byte(entry, 40); }, "header CRC32"},
      {"a flipped magic byte", [&] { flip_byte(entry, 2); }, "not a decoded-cache file"},
      {"an empty file", [&] { fs::resize_file(entry, 0); }, "truncated"},
  };
  for (const auto& d : damages) {
    eden::write_file_atomic(entry, good);
    d.apply();
    const auto rebuilt = load_image_folder(tree_, options());
    EXPECT_EQ(rebuilt.report.cache, "rebuilt") << d.what;
    EXPECT_NE(rebuilt.report.cache_reason.find(d.reason), std::string::npos)
        << d.what << ": " << rebuilt.report.cache_reason;
    expect_same(rebuilt, reference);
    EXPECT_EQ(eden::read_file(entry).size(), good.size()) << d.what;
    EXPECT_EQ(load_image_folder(tree_, options()).report.cache, "hit") << d.what;
  }
  // Another state's entry under this state's name (a header that does not match the key).
  auto o = options();
  o.image_size = 20;
  const fs::path other = load_image_folder(tree_, o).report.cache_path;
  fs::copy_file(entry, other, fs::copy_options::overwrite_existing);
  const auto foreign = load_image_folder(tree_, o);
  EXPECT_EQ(foreign.report.cache, "rebuilt");
  EXPECT_NE(foreign.report.cache_reason.find("key mismatch"), std::string::npos)
      << foreign.report.cache_reason;
  EXPECT_EQ(foreign.train.images.size(2), 20);
}

TEST_F(DecodedCacheTest, AnUnwritableCacheNeverFailsTheLoad) {
  const auto reference = load_image_folder(tree_, options(false));
  write_bytes((dir_ / "a_file").string(), {'x'});
  auto o = options();
  o.cache_dir = dir_ / "a_file" / "cache";  // ENOTDIR, even for root
  const auto d = load_image_folder(tree_, o);
  EXPECT_EQ(d.report.cache, "not-written");
  EXPECT_NE(d.report.cache_reason.find("cannot create directory"), std::string::npos)
      << d.report.cache_reason;
  expect_same(d, reference);
  if (::geteuid() != 0) {  // permissions do not stop root
    fs::create_directories(cache_);
    fs::permissions(cache_, fs::perms::owner_read | fs::perms::owner_exec);
    const auto ro = load_image_folder(tree_, options());
    EXPECT_EQ(ro.report.cache, "not-written") << ro.report.cache_reason;
    expect_same(ro, reference);
    fs::permissions(cache_, fs::perms::owner_all);
  }
}

TEST_F(DecodedCacheTest, UnreadableFilesOrEncodedModeAreNotCached) {
  fs::create_symlink(dir_ / "gone.jpg", tree_ / "cat" / "link.jpg");  // cannot open
  const auto d = load_image_folder(tree_, options());
  EXPECT_EQ(d.report.cache, "not-written");
  EXPECT_NE(d.report.cache_reason.find("1 file(s) could not be read"), std::string::npos)
      << d.report.cache_reason;
  EXPECT_TRUE(cache_files().empty());
  fs::remove(tree_ / "cat" / "link.jpg");

  auto o = options();
  o.image_size = 64;                  // 12 KiB a decoded image, under 1 KiB encoded
  o.memory_budget_bytes = 100 << 10;  // 18 images: decoded over, encoded under
  const auto encoded = load_image_folder(tree_, o);
  EXPECT_EQ(encoded.report.mode, "encoded");
  EXPECT_EQ(encoded.report.cache, "not-used");
  EXPECT_TRUE(cache_files().empty());
}

TEST_F(DecodedCacheTest, StrictRefusesTheSameSkipsOnAHit) {
  ASSERT_EQ(load_image_folder(tree_, options()).report.cache, "written");
  auto o = options();
  o.strict = true;
  try {
    load_image_folder(tree_, o);
    FAIL() << "a hit with a skipped file passed --strict";
  } catch (const eden::Error& e) {
    EXPECT_NE(std::string(e.what()).find("--strict: 1 file(s)"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("notes.txt"), std::string::npos) << e.what();
  }
}

TEST_F(DecodedCacheTest, ConcurrentWritersLeaveOneWholeFile) {
  const auto reference = load_image_folder(tree_, options(false));
  DecodedCacheKey key("pets", 16);
  key.add("test", "concurrent");
  DecodedFolder folder;
  folder.pixels = torch::cat({reference.train.images, reference.test.images});
  folder.train_labels.assign(reference.train.labels.data_ptr<int64_t>(),
                             reference.train.labels.data_ptr<int64_t>() + reference.train.size());
  folder.eval_labels.assign(reference.test.labels.data_ptr<int64_t>(),
                            reference.test.labels.data_ptr<int64_t>() + reference.test.size());
  folder.classes = reference.train.classes;
  folder.split = reference.report.split;
  const fs::path entry = cache_ / key.file_name();
  int go[2];
  ASSERT_EQ(::pipe(go), 0);
  std::vector<pid_t> children;
  for (int c = 0; c < 4; ++c) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      ::close(go[1]);
      char byte;
      const ssize_t got = ::read(go[0], &byte, 1);  // all start when the parent closes it
      (void)got;
      int rc = 0;
      for (int i = 0; i < 10; ++i) {
        try {
          store_decoded_cache(entry, key, folder, 1);
        } catch (...) {
          rc = 1;
        }
      }
      ::_exit(rc);
    }
    children.push_back(pid);
  }
  ::close(go[0]);
  ::close(go[1]);
  for (const pid_t pid : children) {
    int st = 0;
    ::waitpid(pid, &st, 0);
    EXPECT_TRUE(WIFEXITED(st) && WEXITSTATUS(st) == 0) << "a writer failed";
  }
  EXPECT_EQ(cache_files(), std::vector<fs::path>{entry});  // no temp file of any writer
  std::string why;
  const auto loaded = load_decoded_cache(entry, key, 2, why);
  ASSERT_TRUE(loaded.has_value()) << why;
  EXPECT_TRUE(torch::equal(loaded->pixels, folder.pixels));
  EXPECT_EQ(loaded->train_labels, folder.train_labels);
  EXPECT_EQ(loaded->classes, folder.classes);
  // A key of another state does not accept it.
  DecodedCacheKey other("pets", 16);
  other.add("test", "another");
  EXPECT_FALSE(load_decoded_cache(entry, other, 1, why).has_value());
  EXPECT_NE(why.find("key mismatch"), std::string::npos) << why;
}

TEST(DecodedCacheDir, FollowsTheEnvironment) {
  auto saved = [](const char* name) {
    const char* v = std::getenv(name);
    return v != nullptr ? std::optional<std::string>(v) : std::nullopt;
  };
  const auto eden_env = saved("EDEN_DATA_CACHE"), xdg = saved("XDG_CACHE_HOME"),
             home = saved("HOME");
  ::setenv("EDEN_DATA_CACHE", "/data/cache", 1);
  ::setenv("XDG_CACHE_HOME", "/xdg", 1);
  ::setenv("HOME", "/home/u", 1);
  EXPECT_EQ(default_data_cache_dir(), fs::path("/data/cache"));
  ::unsetenv("EDEN_DATA_CACHE");
  EXPECT_EQ(default_data_cache_dir(), fs::path("/xdg/eden/data"));
  ::setenv("XDG_CACHE_HOME", "relative", 1);  // ignored, as the XDG spec says
  EXPECT_EQ(default_data_cache_dir(), fs::path("/home/u/.cache/eden/data"));
  ::unsetenv("XDG_CACHE_HOME");
  EXPECT_EQ(default_data_cache_dir(), fs::path("/home/u/.cache/eden/data"));
  EXPECT_EQ(resolve_data_cache_dir("auto"), fs::path("/home/u/.cache/eden/data"));
  EXPECT_EQ(resolve_data_cache_dir("off"), fs::path());
  EXPECT_EQ(resolve_data_cache_dir("/tmp/mine"), fs::path("/tmp/mine"));
  auto restore = [](const char* name, const std::optional<std::string>& value) {
    if (value) {
      ::setenv(name, value->c_str(), 1);
    } else {
      ::unsetenv(name);
    }
  };
  restore("EDEN_DATA_CACHE", eden_env);
  restore("XDG_CACHE_HOME", xdg);
  restore("HOME", home);
}

TEST(DecodedCacheKey, NamesTheFileAfterTheFolderAndEveryField) {
  DecodedCacheKey a("my pets/ä", 16), b("my pets/ä", 16), c("my pets/ä", 32);
  a.add("x", "1");
  b.add("x", "1");
  c.add("x", "1");
  EXPECT_EQ(a.file_name(), b.file_name());
  EXPECT_NE(a.file_name(), c.file_name());
  EXPECT_TRUE(std::regex_match(a.file_name(), std::regex("my_pets___-[0-9a-f]{16}\\.edc")))
      << a.file_name();
  // Length-prefixed fields: moving a character from one value to the next changes the key.
  DecodedCacheKey d("f", 16), e("f", 16);
  d.add("a", "bc");
  d.add("d", "e");
  e.add("a", "b");
  e.add("cd", "e");
  EXPECT_NE(d.hex(), e.hex());
  EXPECT_EQ(DecodedCacheKey(".hidden", 8).file_name().rfind("f.hidden-", 0), 0u);
}
