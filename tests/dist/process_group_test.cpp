// The Gloo group over loopback: two ranks (threads of this process) rendezvous and reduce;
// a missing rank and a port in use fail clearly within the time-out.
#include "eden/dist/process_group.h"

#include <gtest/gtest.h>
#include <sys/socket.h>
#include <unistd.h>

#include <chrono>
#include <future>
#include <string>
#include <thread>

#include "../common/loopback.h"
#include "eden/util/check.h"

namespace eden::dist {
namespace {

using std::chrono::milliseconds;

using testing::free_port;

DistEnv loopback(int rank, int world, uint16_t port) {
  return testing::loopback_env(rank, world, port);
}

std::string error_of(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

#if EDEN_HAVE_GLOO

TEST(ProcessGroup, TwoRanksReduceBroadcastAndGather) {
  const uint16_t port = free_port();
  auto rank_main = [port](int rank) {
    auto g = ProcessGroup::join(loopback(rank, 2, port), milliseconds(20000));
    auto t = torch::full({1000}, static_cast<float>(rank + 1));
    g->allreduce_sum(t, "test tensor");
    EXPECT_TRUE(torch::all(t.eq(3.0F)).item<bool>());  // 1 + 2
    auto b = torch::full({4}, static_cast<float>(10 * (rank + 1)));
    g->broadcast(b, 0);
    EXPECT_TRUE(torch::all(b.eq(10.0F)).item<bool>());
    const auto names = g->all_gather_strings("rank" + std::to_string(rank));
    EXPECT_EQ(names, (std::vector<std::string>{"rank0", "rank1"}));
    g->barrier("test end");
    return g->allreduce_count();
  };
  auto other = std::async(std::launch::async, rank_main, 1);
  EXPECT_EQ(rank_main(0), 1);
  EXPECT_EQ(other.get(), 1);
}

TEST(ProcessGroup, MissingRankFailsWithinTheTimeout) {
  const auto t0 = std::chrono::steady_clock::now();
  const auto msg =
      error_of([] { ProcessGroup::join(loopback(0, 2, free_port()), milliseconds(1500)); });
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  EXPECT_NE(msg.find("rank 0 of 2: rank(s) 1 did not join at 127.0.0.1:"), std::string::npos)
      << msg;
  EXPECT_EQ(msg.find("Exception raised from"), std::string::npos) << "a C++ backtrace: " << msg;
  EXPECT_NE(msg.find("--dist-timeout"), std::string::npos) << msg;
  EXPECT_LT(s, 5.0);
  // A client whose master never comes up.
  const auto msg1 =
      error_of([] { ProcessGroup::join(loopback(1, 2, free_port()), milliseconds(1500)); });
  EXPECT_NE(msg1.find("rank 1 of 2 could not reach the store"), std::string::npos) << msg1;
}

TEST(ProcessGroup, PortInUseIsNamed) {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_ANY);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a)), 0);
  ASSERT_EQ(listen(fd, 1), 0);
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  const uint16_t port = ntohs(a.sin_port);
  const auto msg =
      error_of([port] { ProcessGroup::join(loopback(0, 2, port), milliseconds(1500)); });
  close(fd);
  EXPECT_NE(msg.find("cannot host the store on port " + std::to_string(port)), std::string::npos)
      << msg;
}

#else

TEST(ProcessGroup, BuildWithoutGlooSaysHow) {
  const auto msg = error_of([] { ProcessGroup::join(loopback(0, 2, 29500), milliseconds(100)); });
  EXPECT_NE(msg.find("libgloo-dev"), std::string::npos) << msg;
}

#endif

}  // namespace
}  // namespace eden::dist
