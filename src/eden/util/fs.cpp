// Atomic file writes: temp file in the same directory, fsync, rename.
#include "eden/util/fs.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>

#include "eden/util/check.h"

namespace eden {
namespace {

// pid + random: unique across processes and across threads of one process, so two writers of
// the same file never share a temp file (a writer may open it with O_EXCL).
fs::path temp_path_for(const fs::path& path) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  return path.string() + ".tmp." + std::to_string(::getpid()) + "." +
         fmt::format("{:016x}", random());
}

void fsync_path(const fs::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) return;  // best effort: the rename below is still atomic
  ::fsync(fd);
  ::close(fd);
}

}  // namespace

void replace_file_atomic(const fs::path& path, const std::function<void(const fs::path&)>& writer) {
  const fs::path tmp = temp_path_for(path);
  try {
    writer(tmp);
    fsync_path(tmp);
    std::error_code ec;
    fs::rename(tmp, path, ec);
    EDEN_CHECK(!ec, "cannot replace ", path, ": ", ec.message());
    fsync_path(path.has_parent_path() ? path.parent_path() : fs::path("."));
  } catch (...) {
    std::error_code ignored;
    fs::remove(tmp, ignored);
    throw;
  }
}

void write_file_atomic(const fs::path& path, const std::string& content) {
  replace_file_atomic(path, [&](const fs::path& tmp) {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    EDEN_CHECK(out, "cannot write ", tmp, ": ", std::strerror(errno));
    out << content;
    out.close();
    EDEN_CHECK(out, "cannot write ", tmp, ": ", std::strerror(errno), " (disk full?)");
  });
}

std::string read_file(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  EDEN_CHECK(in, "cannot read ", path, ": ", std::strerror(errno));
  std::ostringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

void ensure_directory(const fs::path& dir) {
  std::error_code ec;
  fs::create_directories(dir, ec);
  EDEN_CHECK(!ec, "cannot create directory ", dir, ": ", ec.message());
}

}  // namespace eden
