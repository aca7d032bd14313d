// DirectoryLock: a second holder is refused with the first one's pid; a dead holder's lock is
// free (the kernel drops a flock with its process), so a stale lock file never blocks.
#include "eden/util/directory_lock.h"

#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "../common/temp_dir.h"
#include "eden/util/check.h"

namespace eden {
namespace {

class DirectoryLockTest : public testing::TempDirTest {};

std::string error_of(const std::filesystem::path& dir) {
  try {
    DirectoryLock::acquire(dir, "eden train");
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

TEST_F(DirectoryLockTest, SecondHolderIsRefusedNamingTheFirst) {
  const auto dir = dir_ / "run";
  {
    const DirectoryLock lock = DirectoryLock::acquire(dir, "eden train");
    EXPECT_TRUE(lock.held());
    const std::string e = error_of(dir);
    EXPECT_NE(e.find("eden train: " + dir.string() + " is in use by process " +
                     std::to_string(::getpid())),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("choose another --out"), std::string::npos) << e;
  }
  EXPECT_EQ(error_of(dir), "") << "released with its object";
}

TEST_F(DirectoryLockTest, LockOfAKilledProcessDoesNotBlock) {
  const auto dir = dir_ / "run";
  int ready[2];
  ASSERT_EQ(::pipe(ready), 0);
  const pid_t child = ::fork();
  if (child == 0) {
    const DirectoryLock lock = DirectoryLock::acquire(dir, "child");
    const char c = 1;
    (void)!::write(ready[1], &c, 1);
    ::pause();  // killed while holding it
    ::_exit(0);
  }
  char c = 0;
  ASSERT_EQ(::read(ready[0], &c, 1), 1);
  EXPECT_NE(error_of(dir).find("in use by process " + std::to_string(child)), std::string::npos);
  ::kill(child, SIGKILL);
  ::waitpid(child, nullptr, 0);
  EXPECT_TRUE(std::filesystem::exists(dir / DirectoryLock::kFile));  // the file stays ...
  EXPECT_EQ(error_of(dir), "");                                      // ... but is not a lock
  ::close(ready[0]);
  ::close(ready[1]);
}

}  // namespace
}  // namespace eden
