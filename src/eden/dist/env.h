// Where this process sits in a data-parallel group, read from its launcher's environment:
// torchrun's contract (RANK, WORLD_SIZE, LOCAL_RANK, LOCAL_WORLD_SIZE, GROUP_RANK, MASTER_ADDR,
// MASTER_PORT, TORCHELASTIC_USE_AGENT_STORE), Slurm's (SLURM_PROCID, SLURM_NTASKS,
// SLURM_LOCALID, SLURM_NODEID with MASTER_ADDR/MASTER_PORT from the job script), or neither.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace eden::dist {

enum class Launcher { kNone, kTorchrun, kSlurm };
const char* to_string(Launcher launcher);

struct DistEnv {
  Launcher launcher = Launcher::kNone;
  int rank = 0;
  int world_size = 1;
  int local_rank = 0;
  int local_world_size = 1;
  int node_rank = 0;  // GROUP_RANK / SLURM_NODEID
  std::string master_addr;
  uint16_t master_port = 0;
  /// TORCHELASTIC_USE_AGENT_STORE=True: the launcher already hosts the store at the master
  /// address, so rank 0 connects to it as a client instead of starting one.
  bool agent_store = false;
  /// The machine, for counting machine-wide meters once: EDEN_NODE_NAME, else the hostname.
  std::string node_name;

  /// More than one process: a group to join.
  bool distributed() const { return world_size > 1; }
  /// "rank 1 of 2 (local 1 of 2, node 0 'host'), torchrun, master 127.0.0.1:29500".
  std::string describe() const;
};

/// Returns the value of an environment variable, or nullopt when unset.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;

/// Reads and checks the launcher's variables: a partial set (e.g. RANK without MASTER_PORT), a
/// non-number, or a contradiction (RANK >= WORLD_SIZE, LOCAL_RANK >= LOCAL_WORLD_SIZE) throws
/// eden::Error naming the variables and the fix. No variable set: one process (kNone).
DistEnv read_dist_env(const EnvLookup& env);
/// The same from this process's environment.
DistEnv read_dist_env();

}  // namespace eden::dist
