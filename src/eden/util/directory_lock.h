// One writer per run or experiment directory: an exclusive flock on DIR/eden.lock, held for the
// whole run. The kernel drops it when the process ends, however it ends, so it is never stale.
#pragma once

#include <filesystem>
#include <string>

namespace eden {

class DirectoryLock {
 public:
  static constexpr const char* kFile = "eden.lock";

  /// Creates `dir` if needed and takes its lock, writing this process's pid and command line
  /// into the lock file. Throws eden::Error naming `what`, the directory and the holder's pid
  /// when another process holds it.
  static DirectoryLock acquire(const std::filesystem::path& dir, const std::string& what);

  DirectoryLock() = default;
  DirectoryLock(DirectoryLock&& other) noexcept;
  DirectoryLock& operator=(DirectoryLock&& other) noexcept;
  DirectoryLock(const DirectoryLock&) = delete;
  DirectoryLock& operator=(const DirectoryLock&) = delete;
  ~DirectoryLock();  // releases; never throws

  bool held() const { return fd_ >= 0; }

 private:
  explicit DirectoryLock(int fd) : fd_(fd) {}
  int fd_ = -1;
};

}  // namespace eden
