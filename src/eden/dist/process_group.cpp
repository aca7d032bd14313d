// Rendezvous through c10d::TCPStore, then c10d::ProcessGroupGloo over the interface that reaches
// the master (loopback when the master is local).
#include "eden/dist/process_group.h"

#include <fmt/format.h>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include <unistd.h>

#include <cstdlib>
#include <thread>

#include "eden/util/check.h"
#include "eden/util/torch_compat.h"

namespace eden::dist {
namespace {

std::string seconds(std::chrono::milliseconds t) {
  return fmt::format("{:g} s", static_cast<double>(t.count()) / 1000.0);
}

/// c10::Error's message without the C++ backtrace LibTorch appends.
std::string message_of(const std::exception& e) {
  if (const auto* c10e = dynamic_cast<const c10::Error*>(&e)) return c10e->what_without_backtrace();
  return e.what();
}

/// Every rank announces itself under eden/joined/<rank>, then waits for all the others: a rank
/// that never starts is named here instead of surfacing as a socket time-out inside Gloo.
void wait_for_all_ranks(c10d::Store& store, const DistEnv& env, std::chrono::milliseconds timeout) {
  const std::string mine = fmt::format("{} pid {}", env.node_name, getpid());
  store.set(fmt::format("eden/joined/{}", env.rank),
            std::vector<uint8_t>(mine.begin(), mine.end()));
  std::vector<std::string> keys;
  for (int r = 0; r < env.world_size; ++r) keys.push_back(fmt::format("eden/joined/{}", r));
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!store.check(keys)) {
    if (std::chrono::steady_clock::now() >= deadline) {
      std::vector<int> missing;
      for (int r = 0; r < env.world_size; ++r) {
        if (!store.check({keys[static_cast<size_t>(r)]})) missing.push_back(r);
      }
      throw Error(fmt::format(
          "distributed: rank {} of {}: rank(s) {} did not join at {}:{} within {}; hint: start "
          "all {} ranks (eden launch --nproc N does), check WORLD_SIZE, or raise --dist-timeout",
          env.rank, env.world_size, fmt::join(missing, ", "), env.master_addr, env.master_port,
          seconds(timeout), env.world_size));
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
}

bool is_loopback(const std::string& addr) {
  return addr == "localhost" || addr.rfind("127.", 0) == 0 || addr == "::1";
}

std::shared_ptr<::gloo::transport::Device> gloo_device(const DistEnv& env) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname) {
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  }
  if (is_loopback(env.master_addr)) {
    return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  }
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

}  // namespace

struct ProcessGroup::Impl {
  c10::intrusive_ptr<c10d::Store> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> pg;
};

void PendingReduce::wait() {
  if (!work_) return;
  auto work = std::move(work_);
  try {
    work->wait(timeout_);
  } catch (const std::exception& e) {
    throw Error(fmt::format(
        "distributed: allreduce of {} failed on rank {} of {}: {}; hint: another rank stopped "
        "(see its error) or became unreachable (time-out {})",
        what_, rank_, world_, message_of(e), seconds(timeout_)));
  }
}

ProcessGroup::ProcessGroup(DistEnv env, std::chrono::milliseconds timeout)
    : env_(std::move(env)), timeout_(timeout), impl_(std::make_unique<Impl>()) {}

ProcessGroup::~ProcessGroup() = default;

void ProcessGroup::fail(const std::string& op, const std::exception& e) const {
  throw Error(fmt::format(
      "distributed: {} failed on rank {} of {} (master {}:{}): {}; hint: another rank stopped "
      "(see its error) or became unreachable (time-out {}, --dist-timeout)",
      op, rank(), world_size(), env_.master_addr, env_.master_port, message_of(e),
      seconds(timeout_)));
}

std::unique_ptr<ProcessGroup> ProcessGroup::join(const DistEnv& env,
                                                 std::chrono::milliseconds timeout) {
  EDEN_ASSERT(env.distributed(), "joining a group of one");
  std::unique_ptr<ProcessGroup> g(new ProcessGroup(env, timeout));
  c10d::TCPStoreOptions so;
  so.port = env.master_port;
  so.isServer = env.rank == 0 && !env.agent_store;
  so.numWorkers = env.agent_store ? c10::nullopt : c10::optional<std::size_t>(env.world_size);
  so.waitWorkers = false;  // wait_for_all_ranks below names the missing ones (2.x waits here)
  so.timeout = timeout;
  use_socket_tcp_store(so);
  try {
    g->impl_->store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, so);
  } catch (const std::exception& e) {
    const std::string what = message_of(e);
    if (so.isServer && what.find("in use") != std::string::npos) {
      throw Error(fmt::format(
          "distributed: rank 0 cannot host the store on port {}: {}; hint: another job uses "
          "it, pick a free MASTER_PORT (eden launch --master ADDR:PORT)",
          env.master_port, what));
    }
    throw Error(fmt::format(
        "distributed: rank {} of {} could not {} the store at {}:{} within {}: {}; hint: "
        "check that all {} ranks are started with the same MASTER_ADDR/MASTER_PORT and that "
        "the master is reachable, or raise --dist-timeout",
        env.rank, env.world_size, so.isServer ? "gather all ranks at" : "reach", env.master_addr,
        env.master_port, seconds(timeout), what, env.world_size));
  }
  g->impl_->store->setTimeout(timeout);
  wait_for_all_ranks(*g->impl_->store, env, timeout);
  try {
    auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
    opts->devices.push_back(gloo_device(env));
    // Gloo's own keys under a prefix, apart from EDEN's all_gather_strings keys.
    auto prefix = c10::make_intrusive<c10d::PrefixStore>("gloo", g->impl_->store);
    g->impl_->pg =
        c10::make_intrusive<c10d::ProcessGroupGloo>(prefix, env.rank, env.world_size, opts);
  } catch (const std::exception& e) {
    g->fail("connecting the Gloo group", e);
  }
  return g;
}

PendingReduce ProcessGroup::allreduce_sum_async(torch::Tensor t, const char* what) {
  EDEN_ASSERT(t.is_contiguous(), "allreduce of a non-contiguous tensor");
  std::vector<at::Tensor> tensors{std::move(t)};
  ++allreduces_;
  try {
    return {impl_->pg->allreduce(tensors), what, rank(), world_size(), timeout_};
  } catch (const std::exception& e) {
    fail(fmt::format("allreduce of {}", what), e);
  }
}

void ProcessGroup::allreduce_sum(torch::Tensor t, const char* what) {
  allreduce_sum_async(std::move(t), what).wait();
}

void ProcessGroup::broadcast(torch::Tensor t, int root) {
  std::vector<at::Tensor> tensors{std::move(t)};
  c10d::BroadcastOptions o;
  o.rootRank = root;
  try {
    impl_->pg->broadcast(tensors, o)->wait(timeout_);
  } catch (const std::exception& e) {
    fail("broadcast", e);
  }
}

int64_t ProcessGroup::max_over_ranks(int64_t mine, const char* what) {
  std::vector<at::Tensor> tensors{torch::tensor({mine}, torch::kLong)};
  c10d::AllreduceOptions o;
  o.reduceOp = c10d::ReduceOp::MAX;
  try {
    impl_->pg->allreduce(tensors, o)->wait(timeout_);
  } catch (const std::exception& e) {
    fail(fmt::format("agreeing on {}", what), e);
  }
  return tensors[0].item<int64_t>();
}

void ProcessGroup::barrier(const char* what) {
  try {
    impl_->pg->barrier()->wait(timeout_);
  } catch (const std::exception& e) {
    fail(fmt::format("barrier ({})", what), e);
  }
}

std::vector<std::string> ProcessGroup::all_gather_strings(const std::string& mine) {
  const std::string key = fmt::format("eden/gather/{}/", gathers_++);
  std::vector<std::string> out;
  try {
    impl_->store->set(key + std::to_string(rank()), std::vector<uint8_t>(mine.begin(), mine.end()));
    for (int r = 0; r < world_size(); ++r) {
      const auto v = impl_->store->get(key + std::to_string(r));
      out.emplace_back(v.begin(), v.end());
    }
  } catch (const std::exception& e) {
    fail("exchanging records through the store", e);
  }
  return out;
}

}  // namespace eden::dist
