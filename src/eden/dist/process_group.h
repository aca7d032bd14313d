// The data-parallel group of one run: c10d's TCPStore rendezvous and a Gloo process group,
// joined within a time-out, and the few collectives EDEN needs, with c10d's errors turned into
// ones that name the rank, the operation and the fix.
#pragma once

#include <torch/torch.h>

#include <chrono>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "eden/dist/env.h"

#include <torch/csrc/distributed/c10d/Work.hpp>

namespace eden::dist {

/// An allreduce in flight; wait() blocks until it is done (or throws eden::Error).
class PendingReduce {
 public:
  PendingReduce() = default;
  PendingReduce(c10::intrusive_ptr<c10d::Work> work, std::string what, int rank, int world,
                std::chrono::milliseconds timeout)
      : work_(std::move(work)),
        what_(std::move(what)),
        rank_(rank),
        world_(world),
        timeout_(timeout) {}
  void wait();

 private:
  c10::intrusive_ptr<c10d::Work> work_;
  std::string what_;
  int rank_ = 0;
  int world_ = 1;
  std::chrono::milliseconds timeout_{0};
};

class ProcessGroup {
 public:
  /// Joins the group `env` describes: rank 0 hosts the store at MASTER_ADDR:MASTER_PORT (unless
  /// the launcher hosts it), every rank connects, then Gloo connects all pairs. A rank that
  /// does not arrive, an unreachable master or a port in use throw eden::Error within `timeout`.
  static std::unique_ptr<ProcessGroup> join(const DistEnv& env, std::chrono::milliseconds timeout);
  ~ProcessGroup();
  ProcessGroup(const ProcessGroup&) = delete;
  ProcessGroup& operator=(const ProcessGroup&) = delete;

  const DistEnv& env() const { return env_; }
  int rank() const { return env_.rank; }
  int world_size() const { return env_.world_size; }
  std::chrono::milliseconds timeout() const { return timeout_; }

  /// Sums `t` (a dense CPU tensor) over the ranks, in place.
  PendingReduce allreduce_sum_async(torch::Tensor t, const char* what);
  void allreduce_sum(torch::Tensor t, const char* what);
  /// Copies rank `root`'s `t` into every rank's `t`, in place.
  void broadcast(torch::Tensor t, int root = 0);
  void barrier(const char* what);
  /// The largest of the ranks' `mine` (a control decision all ranks take together, such as
  /// "stop now": not counted in allreduce_count()).
  int64_t max_over_ranks(int64_t mine, const char* what);
  /// One string from every rank, in rank order (through the store: for small records such as
  /// per-rank energy and node names).
  std::vector<std::string> all_gather_strings(const std::string& mine);

  /// Allreduces of data (gradients, statistics) started so far (tests count them).
  int64_t allreduce_count() const { return allreduces_; }

 private:
  ProcessGroup(DistEnv env, std::chrono::milliseconds timeout);
  [[noreturn]] void fail(const std::string& op, const std::exception& e) const;

  struct Impl;  // the store and c10d's group (a ProcessGroup in LibTorch 1.13, a Backend in 2.x)
  DistEnv env_;
  std::chrono::milliseconds timeout_;
  std::unique_ptr<Impl> impl_;
  int64_t allreduces_ = 0;
  int64_t gathers_ = 0;
};

}  // namespace eden::dist
