// Decoded-cache entries: a 24-byte preamble, a JSON header, then the uint8 pixel block aligned
// to 4096 bytes (so it can be mapped and used in place), every 16 MiB of it under its own CRC32.
#include "eden/data/decoded_cache.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <pwd.h>
#include <spng.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>
#include <zlib.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>

#include <nlohmann/json.hpp>

#include "eden/util/check.h"
#include "eden/util/fs.h"
#include "eden/util/parallel.h"
#include "eden/util/system.h"
#include "eden/util/units.h"

#if __has_include(<jconfig.h>)
#include <jconfig.h>  // libjpeg-turbo's version (libjpeg62-turbo-dev)
#endif

namespace eden::data {
namespace fs = std::filesystem;
namespace {

constexpr char kMagic[8] = {'E', 'D', 'E', 'N', 'D', 'C', '1', '\0'};
constexpr uint32_t kFormatVersion = 1;
constexpr size_t kPreambleBytes = 24;  // magic, version, header bytes, header CRC32, reserved
constexpr int64_t kAlignBytes = 4096;
constexpr int64_t kChunkBytes = int64_t{16} << 20;

void put_u32(uint8_t* p, uint32_t v) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(v >> (8 * i));  // little-endian
}

uint32_t get_u32(const uint8_t* p) {
  uint32_t v = 0;
  for (int i = 0; i < 4; ++i) v |= static_cast<uint32_t>(p[i]) << (8 * i);
  return v;
}

uint32_t crc32_of(const uint8_t* data, int64_t bytes) {
  return static_cast<uint32_t>(::crc32(0L, data, static_cast<uInt>(bytes)));
}

int64_t pixel_offset_for(int64_t header_bytes) {
  const int64_t end = static_cast<int64_t>(kPreambleBytes) + header_bytes;
  return (end + kAlignBytes - 1) / kAlignBytes * kAlignBytes;
}

// CRC32 of every kChunkBytes chunk of `data`, on `threads` threads.
std::vector<uint32_t> chunk_crcs(const uint8_t* data, int64_t bytes, int threads) {
  const int64_t chunks = (bytes + kChunkBytes - 1) / kChunkBytes;
  std::vector<uint32_t> out(static_cast<size_t>(chunks));
  parallel_for(chunks, threads, [&](int64_t c) {
    const int64_t begin = c * kChunkBytes;
    out[static_cast<size_t>(c)] = crc32_of(data + begin, std::min(kChunkBytes, bytes - begin));
  });
  return out;
}

// The libraries whose output the pixels are: a new libjpeg-turbo or libspng may round otherwise.
std::string decoder_libraries() {
#ifdef LIBJPEG_TURBO_VERSION_NUMBER
  const std::string jpeg = std::to_string(LIBJPEG_TURBO_VERSION_NUMBER);
#else
  const std::string jpeg = "unknown";
#endif
  return fmt::format("libjpeg-turbo {}, libspng {}.{}.{}", jpeg, SPNG_VERSION_MAJOR,
                     SPNG_VERSION_MINOR, SPNG_VERSION_PATCH);
}

nlohmann::json key_json(const DecodedCacheKey& key) {
  return {{"hash", key.hex()}, {"text_crc32", key.text_crc32()}, {"text_bytes", key.text_bytes()}};
}

void write_all(int fd, const uint8_t* data, int64_t bytes, const fs::path& tmp) {
  while (bytes > 0) {
    const ssize_t n = ::write(fd, data, static_cast<size_t>(std::min<int64_t>(bytes, 1 << 30)));
    if (n < 0 && errno == EINTR) continue;
    EDEN_CHECK(n > 0, "cannot write ", tmp, ": ", std::strerror(n < 0 ? errno : ENOSPC));
    data += n;
    bytes -= n;
  }
}

// Closes the descriptor on every path out of the writer (a throw included).
struct FdCloser {
  int fd;
  ~FdCloser() {
    if (fd >= 0) ::close(fd);
  }
};

}  // namespace

fs::path default_data_cache_dir() {
  if (const char* env = std::getenv("EDEN_DATA_CACHE"); env != nullptr && *env != 0) return env;
  // The XDG spec ignores a relative XDG_CACHE_HOME.
  if (const char* xdg = std::getenv("XDG_CACHE_HOME"); xdg != nullptr && *xdg == '/') {
    return fs::path(xdg) / "eden" / "data";
  }
  const char* home = std::getenv("HOME");
  if (home == nullptr || *home == 0) {
    const passwd* pw = ::getpwuid(::getuid());
    home = pw != nullptr ? pw->pw_dir : nullptr;
  }
  if (home == nullptr || *home == 0) return {};
  return fs::path(home) / ".cache" / "eden" / "data";
}

fs::path resolve_data_cache_dir(const std::string& setting) {
  if (setting == "off") return {};
  if (setting == "auto") return default_data_cache_dir();
  return setting;
}

DecodedCacheKey::DecodedCacheKey(std::string folder_name, int64_t image_size)
    : folder_name_(std::move(folder_name)), image_size_(image_size) {
  add("format", std::to_string(kFormatVersion));
  add("decoder_version", std::to_string(kDecoderVersion));
  add("decoders", decoder_libraries());
  add("resize", kResizeMethod);
  add("image_size", std::to_string(image_size));
}

void DecodedCacheKey::feed(const std::string& text) {
  for (const char c : text) {
    hash_ ^= static_cast<uint8_t>(c);
    hash_ *= 0x100000001b3ULL;  // FNV-1a 64 prime
  }
  crc_ = static_cast<uint32_t>(
      ::crc32(crc_, reinterpret_cast<const Bytef*>(text.data()), static_cast<uInt>(text.size())));
  bytes_ += static_cast<int64_t>(text.size());
}

void DecodedCacheKey::add(const std::string& name, const std::string& value) {
  // Length-prefixed, so no value can imitate the next field.
  feed(fmt::format("{}:{}={}:{}\n", name.size(), name, value.size(), value));
}

void DecodedCacheKey::add_file(const std::string& relative_path, const std::string& cls, int split,
                               int64_t size_bytes, int64_t mtime_ns) {
  add("file", fmt::format("{}|{}:{}|{}|{}|{}", relative_path.size(), relative_path, cls, split,
                          size_bytes, mtime_ns));
}

std::string DecodedCacheKey::hex() const {
  return fmt::format("{:016x}", hash_);
}

std::string DecodedCacheKey::file_name() const {
  std::string name;
  for (const char c : folder_name_.substr(0, 64)) {
    const bool plain =
        std::isalnum(static_cast<unsigned char>(c)) != 0 || c == '.' || c == '_' || c == '-';
    name += plain ? c : '_';
  }
  if (name.empty() || name[0] == '.') name.insert(name.begin(), 'f');  // never a hidden file
  return name + "-" + hex() + ".edc";
}

std::optional<DecodedFolder> load_decoded_cache(const fs::path& path, const DecodedCacheKey& key,
                                                int threads, std::string& why) {
  why.clear();
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT && errno != ENOTDIR) {
      why = std::string("cannot open: ") + std::strerror(errno);
    }
    return std::nullopt;
  }
  struct stat st {};
  const bool stat_ok = ::fstat(fd, &st) == 0;
  const auto file_bytes = static_cast<int64_t>(st.st_size);
  if (!stat_ok || file_bytes < static_cast<int64_t>(kPreambleBytes)) {
    ::close(fd);
    why = stat_ok ? fmt::format("truncated ({} bytes)", file_bytes)
                  : std::string("cannot stat: ") + std::strerror(errno);
    return std::nullopt;
  }
  // MAP_PRIVATE: the pages are the page cache's (shared with every process mapping the file);
  // a write to the tensor would copy its page and never reach the file.
  void* map =
      ::mmap(nullptr, static_cast<size_t>(file_bytes), PROT_READ | PROT_WRITE, MAP_PRIVATE, fd, 0);
  const int map_errno = errno;
  ::close(fd);  // the mapping keeps the file
  if (map == MAP_FAILED) {
    why = std::string("cannot map: ") + std::strerror(map_errno);
    return std::nullopt;
  }
  const auto* base = static_cast<const uint8_t*>(map);
  auto unmap = [map, file_bytes] { ::munmap(map, static_cast<size_t>(file_bytes)); };
  auto fail = [&](std::string reason) {
    unmap();
    why = std::move(reason);
    return std::nullopt;
  };

  if (std::memcmp(base, kMagic, sizeof(kMagic)) != 0) return fail("not a decoded-cache file");
  if (get_u32(base + 8) != kFormatVersion) {
    return fail(fmt::format("format version {}, expected {}", get_u32(base + 8), kFormatVersion));
  }
  const int64_t header_bytes = get_u32(base + 12);
  if (static_cast<int64_t>(kPreambleBytes) + header_bytes > file_bytes) {
    return fail(fmt::format("truncated ({} bytes, the header alone needs {})", file_bytes,
                            kPreambleBytes + header_bytes));
  }
  if (crc32_of(base + kPreambleBytes, header_bytes) != get_u32(base + 16)) {
    return fail("header CRC32 mismatch (corrupt header)");
  }
  nlohmann::json h;
  try {
    h = nlohmann::json::parse(base + kPreambleBytes, base + kPreambleBytes + header_bytes);
  } catch (const std::exception& e) {
    return fail(std::string("header is not JSON: ") + e.what());
  }
  DecodedFolder out;
  int64_t n = 0, pixel_bytes = 0;
  std::vector<uint32_t> crcs;
  try {
    if (h.at("key") != key_json(key)) return fail("key mismatch (another folder state)");
    if (h.at("decoder_version") != kDecoderVersion || h.at("resize") != kResizeMethod ||
        h.at("image_size") != key.image_size()) {
      return fail("written by another decoder or for another image size");
    }
    out.classes = h.at("classes").get<std::vector<std::string>>();
    out.train_labels = h.at("train_labels").get<std::vector<int64_t>>();
    out.eval_labels = h.at("eval_labels").get<std::vector<int64_t>>();
    out.split = h.at("split").get<std::string>();
    out.files_seen = h.at("files_seen").get<int64_t>();
    for (const auto& s : h.at("skipped")) {
      out.skipped.push_back({s.at(0).get<std::string>(), s.at(1).get<std::string>()});
    }
    n = static_cast<int64_t>(out.train_labels.size() + out.eval_labels.size());
    const int64_t s = key.image_size();
    pixel_bytes = h.at("pixel_bytes").get<int64_t>();
    crcs = h.at("chunk_crc32").get<std::vector<uint32_t>>();
    if (h.at("shape") != nlohmann::json({n, 3, s, s}) || pixel_bytes != n * 3 * s * s ||
        h.at("chunk_bytes") != kChunkBytes ||
        static_cast<int64_t>(crcs.size()) != (pixel_bytes + kChunkBytes - 1) / kChunkBytes) {
      return fail("inconsistent header (shape, labels, chunks)");
    }
    const auto classes = static_cast<int64_t>(out.classes.size());
    for (const auto* labels : {&out.train_labels, &out.eval_labels}) {
      for (const int64_t l : *labels) {
        if (l < 0 || l >= classes) return fail(fmt::format("label {} out of range", l));
      }
    }
  } catch (const std::exception& e) {
    return fail(std::string("incomplete header: ") + e.what());
  }
  const int64_t offset = pixel_offset_for(header_bytes);
  if (file_bytes != offset + pixel_bytes) {
    return fail(fmt::format("{} ({} bytes, expected {})",
                            file_bytes < offset + pixel_bytes ? "truncated" : "trailing bytes",
                            file_bytes, offset + pixel_bytes));
  }
  const auto actual = chunk_crcs(base + offset, pixel_bytes, threads);
  for (size_t c = 0; c < actual.size(); ++c) {
    if (actual[c] != crcs[c]) {
      return fail(
          fmt::format("pixel chunk {} of {}: CRC32 mismatch (corrupt data)", c, actual.size()));
    }
  }
  // In place, no copy: the tensor owns the mapping and unmaps it when the last view goes.
  const int64_t s = key.image_size();
  out.pixels = torch::from_blob(
      const_cast<uint8_t*>(base + offset), {n, 3, s, s}, [unmap](void*) { unmap(); },
      torch::TensorOptions().dtype(torch::kUInt8));
  return out;
}

void store_decoded_cache(const fs::path& path, const DecodedCacheKey& key,
                         const DecodedFolder& folder, int threads) {
  const int64_t n = folder.pixels.size(0);
  const int64_t s = key.image_size();
  EDEN_ASSERT(folder.pixels.is_contiguous() && folder.pixels.scalar_type() == torch::kUInt8 &&
                  folder.pixels.sizes() == torch::IntArrayRef({n, 3, s, s}) &&
                  n == static_cast<int64_t>(folder.train_labels.size() + folder.eval_labels.size()),
              "decoded cache: pixels ", folder.pixels.sizes(), " do not match the labels");
  const auto* pixels = folder.pixels.data_ptr<uint8_t>();
  const int64_t pixel_bytes = folder.pixels.numel();
  nlohmann::json skipped = nlohmann::json::array();
  for (const auto& f : folder.skipped) skipped.push_back({f.path, f.reason});
  const nlohmann::json h = {
      {"format", "eden decoded cache (docs/data-cache.md)"},
      {"eden_version", EDEN_VERSION},
      {"created_at", utc_timestamp("%Y-%m-%dT%H:%M:%SZ")},
      {"key", key_json(key)},
      {"decoder_version", kDecoderVersion},
      {"decoders", decoder_libraries()},
      {"resize", kResizeMethod},
      {"image_size", s},
      {"shape", {n, 3, s, s}},
      {"dtype", "uint8"},
      {"n_train", folder.train_labels.size()},
      {"n_eval", folder.eval_labels.size()},
      {"classes", folder.classes},
      {"train_labels", folder.train_labels},
      {"eval_labels", folder.eval_labels},
      {"split", folder.split},
      {"files_seen", folder.files_seen},
      {"skipped", skipped},
      {"pixel_bytes", pixel_bytes},
      {"chunk_bytes", kChunkBytes},
      {"chunk_crc32", chunk_crcs(pixels, pixel_bytes, threads)},
  };
  const std::string header = h.dump();
  const int64_t header_bytes = static_cast<int64_t>(header.size());
  const int64_t offset = pixel_offset_for(header_bytes);
  std::vector<uint8_t> head(static_cast<size_t>(offset), 0);  // preamble, header, zero padding
  std::memcpy(head.data(), kMagic, sizeof(kMagic));
  put_u32(head.data() + 8, kFormatVersion);
  put_u32(head.data() + 12, static_cast<uint32_t>(header_bytes));
  put_u32(head.data() + 16,
          crc32_of(reinterpret_cast<const uint8_t*>(header.data()), header_bytes));
  std::memcpy(head.data() + kPreambleBytes, header.data(), header.size());

  ensure_directory(path.parent_path());
  // Said up front rather than after writing most of it.
  struct statvfs vfs {};
  if (::statvfs(path.parent_path().c_str(), &vfs) == 0) {
    const auto free_bytes = static_cast<int64_t>(vfs.f_bavail) * static_cast<int64_t>(vfs.f_frsize);
    EDEN_CHECK(free_bytes >= offset + pixel_bytes, "not enough space in ", path.parent_path(),
               ": the entry needs ", bytes_text(offset + pixel_bytes), ", ", bytes_text(free_bytes),
               " free");
  }
  replace_file_atomic(path, [&](const fs::path& tmp) {
    // O_EXCL: the name is this writer's alone (pid + random suffix), never another's half file.
    FdCloser out{::open(tmp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644)};
    EDEN_CHECK(out.fd >= 0, "cannot create ", tmp, ": ", std::strerror(errno));
    write_all(out.fd, head.data(), offset, tmp);
    write_all(out.fd, pixels, pixel_bytes, tmp);
    EDEN_CHECK(::fsync(out.fd) == 0, "cannot write ", tmp, ": fsync: ", std::strerror(errno));
    const int fd = out.fd;
    out.fd = -1;
    EDEN_CHECK(::close(fd) == 0, "cannot write ", tmp, ": close: ", std::strerror(errno));
  });
}

}  // namespace eden::data
