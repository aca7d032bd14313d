// `eden launch`: starts this machine's ranks of a data-parallel job with exactly torchrun's
// environment, forwards SIGINT/SIGTERM to them, and ends the group when one rank fails.
#pragma once

#include <chrono>
#include <cstdint>
#include <string>
#include <vector>

namespace eden::dist {

struct LaunchOptions {
  int nproc = 1;      // ranks on this machine
  int nnodes = 1;     // machines
  int node_rank = 0;  // this machine's index
  std::string master_addr = "127.0.0.1";
  uint16_t master_port = 29500;
  /// How long the others get to exit after one rank failed or a signal was forwarded, before
  /// SIGKILL.
  std::chrono::milliseconds grace{10000};
};

/// Parses "ADDR:PORT" (or ":PORT", "ADDR") into `options`; throws eden::Error naming the text.
void parse_master(const std::string& text, LaunchOptions& options);

/// The variables rank `local_rank` of `options` gets, as torchrun 2.x sets them ("NAME=value").
std::vector<std::string> rank_environment(const LaunchOptions& options, int local_rank);

/// Runs `program` `args` once per local rank, each with its torchrun variables added to this
/// process's environment, and waits. Returns 0 when every rank exits 0; otherwise the first
/// failure's exit status (128 + signal for a rank killed by a signal), after printing which
/// rank failed how and stopping the others (SIGTERM, then SIGKILL after `grace`).
int launch(const LaunchOptions& options, const std::string& program,
           const std::vector<std::string>& args);

}  // namespace eden::dist
