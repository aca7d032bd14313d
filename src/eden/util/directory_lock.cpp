// DirectoryLock: flock(LOCK_EX | LOCK_NB) on DIR/eden.lock; the holder's record for the message.
#include "eden/util/directory_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <fstream>
#include <sstream>
#include <utility>

#include "eden/util/check.h"
#include "eden/util/fs.h"

namespace eden {
namespace {

/// This process's command line, arguments separated by spaces.
std::string own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string raw((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  while (!raw.empty() && raw.back() == '\0') raw.pop_back();
  for (char& c : raw) c = c == '\0' ? ' ' : c;
  return raw;
}

/// "pid 1234 (eden train ...)" from the holder's record, or "another process" when unreadable.
std::string holder_of(const fs::path& file) {
  std::ifstream in(file);
  std::string pid, command;
  std::string line;
  while (std::getline(in, line)) {
    if (line.rfind("pid ", 0) == 0) pid = line.substr(4);
    if (line.rfind("command ", 0) == 0) command = line.substr(8);
  }
  if (pid.empty()) return "another process";
  return "process " + pid + (command.empty() ? "" : " (" + command + ")");
}

}  // namespace

DirectoryLock DirectoryLock::acquire(const fs::path& dir, const std::string& what) {
  ensure_directory(dir);
  const fs::path file = dir / kFile;
  const int fd = ::open(file.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  EDEN_CHECK(fd >= 0, what, ": cannot open the lock file ", file, ": ", std::strerror(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    const int err = errno;
    ::close(fd);
    EDEN_CHECK(err != EWOULDBLOCK, what, ": ", dir.string(), " is in use by ", holder_of(file),
               "; only one run may write a directory. hint: wait for it to end, or choose "
               "another --out");
    EDEN_CHECK(false, what, ": cannot lock ", file, ": ", std::strerror(err));
  }
  std::ostringstream record;
  record << "pid " << ::getpid() << "\ncommand " << own_command_line() << "\n";
  const std::string text = record.str();
  // Best effort: the lock is the flock, the record only names its holder.
  if (::ftruncate(fd, 0) == 0) {
    const ssize_t n = ::pwrite(fd, text.data(), text.size(), 0);
    (void)n;
  }
  return DirectoryLock(fd);
}

DirectoryLock::DirectoryLock(DirectoryLock&& other) noexcept : fd_(std::exchange(other.fd_, -1)) {}

DirectoryLock& DirectoryLock::operator=(DirectoryLock&& other) noexcept {
  if (this != &other) {
    if (fd_ >= 0) ::close(fd_);
    fd_ = std::exchange(other.fd_, -1);
  }
  return *this;
}

DirectoryLock::~DirectoryLock() {
  if (fd_ >= 0) ::close(fd_);  // closing the last descriptor releases the flock
}

}  // namespace eden
