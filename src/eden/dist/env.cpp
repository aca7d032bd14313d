// Launcher environment parsing: torchrun first (it may run inside a Slurm job), then Slurm.
#include "eden/dist/env.h"

#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <cerrno>
#include <climits>
#include <cstdlib>
#include <vector>

#include "eden/util/check.h"

namespace eden::dist {
namespace {

constexpr std::array<const char*, 4> kTorchrunRequired = {"RANK", "WORLD_SIZE", "MASTER_ADDR",
                                                          "MASTER_PORT"};
constexpr std::array<const char*, 4> kSlurmRequired = {"SLURM_PROCID", "SLURM_NTASKS",
                                                       "SLURM_LOCALID", "SLURM_NODEID"};

int parse_int(const std::string& name, const std::string& value, int min_value) {
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(value.c_str(), &end, 10);
  EDEN_CHECK(!value.empty() && end != nullptr && *end == '\0' && errno == 0 && v >= min_value &&
                 v <= INT_MAX,
             name, "=", value, " is not an integer >= ", min_value,
             "; hint: the launcher sets it, or unset it to train in one process");
  return static_cast<int>(v);
}

std::string hostname() {
  std::array<char, 256> buf{};
  if (gethostname(buf.data(), buf.size() - 1) != 0) return "localhost";
  return buf.data();
}

/// Slurm's per-node task count, e.g. "2" or "2(x3)"; 0 when unknown or uneven ("2,1").
int slurm_tasks_per_node(const EnvLookup& env) {
  for (const char* name : {"SLURM_NTASKS_PER_NODE", "SLURM_TASKS_PER_NODE"}) {
    const auto v = env(name);
    if (!v || v->empty() || v->find(',') != std::string::npos) continue;
    const auto n = std::strtol(v->c_str(), nullptr, 10);
    if (n >= 1 && n <= INT_MAX) return static_cast<int>(n);
  }
  return 0;
}

void read_master(const EnvLookup& env, const char* context, DistEnv& d) {
  const auto addr = env("MASTER_ADDR");
  const auto port = env("MASTER_PORT");
  EDEN_CHECK(addr && !addr->empty() && port, context, " but MASTER_ADDR",
             addr && !addr->empty() ? "" : " (unset)", " / MASTER_PORT", port ? "" : " (unset)",
             " are missing; hint: export MASTER_ADDR=<first node's address> MASTER_PORT=29500 "
             "(the same on every rank)");
  d.master_addr = *addr;
  const int p = parse_int("MASTER_PORT", *port, 1);
  EDEN_CHECK(p <= 65535, "MASTER_PORT=", *port, " is not a TCP port (1-65535)");
  d.master_port = static_cast<uint16_t>(p);
}

void check_consistent(const DistEnv& d, const char* rank_name, const char* world_name,
                      const char* local_name, const char* local_world_name) {
  EDEN_CHECK(d.rank < d.world_size, rank_name, "=", d.rank, " is not below ", world_name, "=",
             d.world_size, "; hint: ranks are 0 .. ", world_name, "-1");
  EDEN_CHECK(d.local_world_size <= d.world_size, local_world_name, "=", d.local_world_size,
             " exceeds ", world_name, "=", d.world_size);
  EDEN_CHECK(d.local_rank < d.local_world_size, local_name, "=", d.local_rank, " is not below ",
             local_world_name, "=", d.local_world_size);
  EDEN_CHECK(d.local_rank <= d.rank, local_name, "=", d.local_rank, " exceeds ", rank_name, "=",
             d.rank, ": a process's rank on its machine cannot exceed its rank in the group");
}

DistEnv read_torchrun(const EnvLookup& env) {
  std::vector<std::string> missing;
  for (const char* name : kTorchrunRequired) {
    if (!env(name)) missing.emplace_back(name);
  }
  if (!missing.empty()) {
    std::vector<std::string> set;
    for (const char* name : kTorchrunRequired) {
      if (env(name)) set.push_back(fmt::format("{}={}", name, *env(name)));
    }
    throw Error(fmt::format(
        "partial torchrun environment: {} set but {} not; hint: torchrun sets RANK, WORLD_SIZE, "
        "LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR and MASTER_PORT; set the missing "
        "ones (or use `eden launch`), or unset them all to train in one process",
        fmt::join(set, ", "), fmt::join(missing, ", ")));
  }
  DistEnv d;
  d.launcher = Launcher::kTorchrun;
  d.rank = parse_int("RANK", *env("RANK"), 0);
  d.world_size = parse_int("WORLD_SIZE", *env("WORLD_SIZE"), 1);
  const auto local = env("LOCAL_RANK");
  const auto local_world = env("LOCAL_WORLD_SIZE");
  EDEN_CHECK(local.has_value() == local_world.has_value(),
             local ? "LOCAL_RANK is set but LOCAL_WORLD_SIZE is not"
                   : "LOCAL_WORLD_SIZE is set but LOCAL_RANK is not",
             "; hint: set both (torchrun does), or neither for one machine");
  // Without them (the four variables of PyTorch's env:// init) all ranks share one machine.
  d.local_rank = local ? parse_int("LOCAL_RANK", *local, 0) : d.rank;
  d.local_world_size = local_world ? parse_int("LOCAL_WORLD_SIZE", *local_world, 1) : d.world_size;
  const auto group = env("GROUP_RANK");
  d.node_rank = group ? parse_int("GROUP_RANK", *group, 0) : 0;
  read_master(env, "RANK and WORLD_SIZE are set", d);
  const auto agent = env("TORCHELASTIC_USE_AGENT_STORE");
  d.agent_store = agent && (*agent == "True" || *agent == "true" || *agent == "1");
  check_consistent(d, "RANK", "WORLD_SIZE", "LOCAL_RANK", "LOCAL_WORLD_SIZE");
  return d;
}

DistEnv read_slurm(const EnvLookup& env) {
  std::vector<std::string> missing;
  for (const char* name : kSlurmRequired) {
    if (!env(name)) missing.emplace_back(name);
  }
  EDEN_CHECK(missing.empty(),
             "partial Slurm environment: ", fmt::format("{}", fmt::join(missing, ", ")),
             " unset; hint: start the ranks with srun (one task per rank)");
  DistEnv d;
  d.launcher = Launcher::kSlurm;
  d.rank = parse_int("SLURM_PROCID", *env("SLURM_PROCID"), 0);
  d.world_size = parse_int("SLURM_NTASKS", *env("SLURM_NTASKS"), 1);
  d.local_rank = parse_int("SLURM_LOCALID", *env("SLURM_LOCALID"), 0);
  d.node_rank = parse_int("SLURM_NODEID", *env("SLURM_NODEID"), 0);
  const int per_node = slurm_tasks_per_node(env);
  d.local_world_size = per_node > 0 ? per_node : d.local_rank + 1;
  if (d.world_size == 1) return d;  // one task in a Slurm job: not a group
  read_master(env, "SLURM_NTASKS > 1", d);
  check_consistent(d, "SLURM_PROCID", "SLURM_NTASKS", "SLURM_LOCALID", "SLURM_NTASKS_PER_NODE");
  return d;
}

}  // namespace

const char* to_string(Launcher launcher) {
  switch (launcher) {
    case Launcher::kNone:
      return "none";
    case Launcher::kTorchrun:
      return "torchrun";
    case Launcher::kSlurm:
      return "slurm";
  }
  return "?";
}

std::string DistEnv::describe() const {
  if (!distributed()) return "one process";
  return fmt::format("rank {} of {} (local {} of {}, node {} '{}'), {}, master {}:{}{}", rank,
                     world_size, local_rank, local_world_size, node_rank, node_name,
                     to_string(launcher), master_addr, master_port,
                     agent_store ? " (launcher's store)" : "");
}

DistEnv read_dist_env(const EnvLookup& env) {
  // MASTER_ADDR/MASTER_PORT alone say nothing: Slurm job scripts export them too.
  const bool torchrun = env("RANK") || env("WORLD_SIZE") || env("LOCAL_RANK");
  DistEnv d;
  if (torchrun) {
    d = read_torchrun(env);
  } else if (env("SLURM_PROCID") || env("SLURM_NTASKS")) {
    d = read_slurm(env);
  }
  const auto node = env("EDEN_NODE_NAME");
  d.node_name = node && !node->empty() ? *node : hostname();
  return d;
}

DistEnv read_dist_env() {
  return read_dist_env([](const std::string& name) -> std::optional<std::string> {
    const char* v = std::getenv(name.c_str());
    return v ? std::optional<std::string>(v) : std::nullopt;
  });
}

}  // namespace eden::dist
