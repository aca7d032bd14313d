// ProcessGroup for a build without c10d's Gloo headers: joining a group says how to get them.
#include <fmt/format.h>

#include "eden/dist/process_group.h"
#include "eden/util/check.h"

namespace eden::dist {

void PendingReduce::wait() {}

struct ProcessGroup::Impl {};

ProcessGroup::ProcessGroup(DistEnv env, std::chrono::milliseconds timeout)
    : env_(std::move(env)), timeout_(timeout) {}

ProcessGroup::~ProcessGroup() = default;

std::unique_ptr<ProcessGroup> ProcessGroup::join(const DistEnv& env, std::chrono::milliseconds) {
  throw Error(fmt::format(
      "{}: this EDEN was built without c10d's Gloo headers, so it cannot join a process "
      "group; hint: install libgloo-dev (scripts/setup does) and rebuild, or unset the "
      "launcher's variables to train in one process",
      env.describe()));
}

void ProcessGroup::fail(const std::string& op, const std::exception& e) const {
  throw Error(fmt::format("distributed: {} failed: {}", op, e.what()));
}

// No ProcessGroup exists in this build (join throws), so none of these can run.
PendingReduce ProcessGroup::allreduce_sum_async(torch::Tensor, const char*) {
  EDEN_ASSERT(false, "no process group in a build without Gloo");
  return {};
}
void ProcessGroup::allreduce_sum(torch::Tensor, const char*) {
  EDEN_ASSERT(false, "no process group in a build without Gloo");
}
void ProcessGroup::broadcast(torch::Tensor, int) {
  EDEN_ASSERT(false, "no process group in a build without Gloo");
}
int64_t ProcessGroup::max_over_ranks(int64_t, const char*) {
  EDEN_ASSERT(false, "no process group in a build without Gloo");
  return 0;
}
void ProcessGroup::barrier(const char*) {
  EDEN_ASSERT(false, "no process group in a build without Gloo");
}
std::vector<std::string> ProcessGroup::all_gather_strings(const std::string&) {
  EDEN_ASSERT(false, "no process group in a build without Gloo");
  return {};
}

}  // namespace eden::dist
