// Loopback helpers for data-parallel tests: a free TCP port and the DistEnv of a rank on it.
#pragma once

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdint>

#include "eden/dist/env.h"

namespace eden::testing {

/// A TCP port that was free a moment ago (bound to port 0, then closed).
inline uint16_t free_port() {
  const int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  socklen_t len = sizeof(a);
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

/// Rank `rank` of `world` on one machine, master 127.0.0.1:`port`, as torchrun would set it.
inline dist::DistEnv loopback_env(int rank, int world, uint16_t port) {
  dist::DistEnv d;
  d.launcher = dist::Launcher::kTorchrun;
  d.rank = d.local_rank = rank;
  d.world_size = d.local_world_size = world;
  d.master_addr = "127.0.0.1";
  d.master_port = port;
  d.node_name = "test";
  return d;
}

}  // namespace eden::testing
