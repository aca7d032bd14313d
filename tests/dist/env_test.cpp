// Launcher environments: torchrun's and Slurm's contracts read right, partial or contradictory
// ones refused with messages that name the variables.
#include "eden/dist/env.h"

#include <gtest/gtest.h>

#include <map>
#include <string>

#include "eden/util/check.h"

namespace eden::dist {
namespace {

EnvLookup fake(std::map<std::string, std::string> vars) {
  return [vars = std::move(vars)](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    return it == vars.end() ? std::nullopt : std::optional<std::string>(it->second);
  };
}

std::map<std::string, std::string> torchrun(int rank, int world) {
  return {{"RANK", std::to_string(rank)},
          {"WORLD_SIZE", std::to_string(world)},
          {"LOCAL_RANK", std::to_string(rank)},
          {"LOCAL_WORLD_SIZE", std::to_string(world)},
          {"GROUP_RANK", "0"},
          {"MASTER_ADDR", "127.0.0.1"},
          {"MASTER_PORT", "29500"}};
}

std::string error_of(const std::map<std::string, std::string>& vars) {
  try {
    read_dist_env(fake(vars));
  } catch (const Error& e) {
    return e.what();
  }
  return "no error";
}

TEST(DistEnv, NoLauncherIsOneProcess) {
  const auto d = read_dist_env(fake({{"EDEN_NODE_NAME", "n0"}}));
  EXPECT_EQ(d.launcher, Launcher::kNone);
  EXPECT_FALSE(d.distributed());
  EXPECT_EQ(d.world_size, 1);
  EXPECT_EQ(d.node_name, "n0");
}

TEST(DistEnv, TorchrunContract) {
  auto vars = torchrun(1, 4);
  vars["LOCAL_RANK"] = "1";
  vars["LOCAL_WORLD_SIZE"] = "2";
  vars["GROUP_RANK"] = "0";
  vars["TORCHELASTIC_USE_AGENT_STORE"] = "True";
  const auto d = read_dist_env(fake(vars));
  EXPECT_EQ(d.launcher, Launcher::kTorchrun);
  EXPECT_EQ(d.rank, 1);
  EXPECT_EQ(d.world_size, 4);
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.local_world_size, 2);
  EXPECT_EQ(d.master_addr, "127.0.0.1");
  EXPECT_EQ(d.master_port, 29500);
  EXPECT_TRUE(d.agent_store);
  EXPECT_TRUE(d.distributed());
  EXPECT_NE(d.describe().find("rank 1 of 4"), std::string::npos) << d.describe();
}

TEST(DistEnv, EnvInitsFourVariablesMeanOneMachine) {
  const auto d = read_dist_env(fake(
      {{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "localhost"}, {"MASTER_PORT", "1234"}}));
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.local_world_size, 2);
  EXPECT_FALSE(d.agent_store);
}

TEST(DistEnv, SlurmContract) {
  const auto d = read_dist_env(fake({{"SLURM_PROCID", "3"},
                                     {"SLURM_NTASKS", "4"},
                                     {"SLURM_LOCALID", "1"},
                                     {"SLURM_NODEID", "1"},
                                     {"SLURM_NTASKS_PER_NODE", "2"},
                                     {"MASTER_ADDR", "node0"},
                                     {"MASTER_PORT", "29400"}}));
  EXPECT_EQ(d.launcher, Launcher::kSlurm);
  EXPECT_EQ(d.rank, 3);
  EXPECT_EQ(d.world_size, 4);
  EXPECT_EQ(d.local_rank, 1);
  EXPECT_EQ(d.local_world_size, 2);
  EXPECT_EQ(d.node_rank, 1);
  // One task in a Slurm job is a plain run, with or without MASTER_*.
  EXPECT_FALSE(read_dist_env(fake({{"SLURM_PROCID", "0"},
                                   {"SLURM_NTASKS", "1"},
                                   {"SLURM_LOCALID", "0"},
                                   {"SLURM_NODEID", "0"}}))
                   .distributed());
  // torchrun inside a Slurm job: torchrun's variables win.
  auto both = torchrun(0, 2);
  both["SLURM_PROCID"] = "0";
  both["SLURM_NTASKS"] = "1";
  EXPECT_EQ(read_dist_env(fake(both)).launcher, Launcher::kTorchrun);
}

TEST(DistEnv, PartialOrContradictoryEnvironmentsNameTheProblem) {
  auto expect_error = [](const std::map<std::string, std::string>& vars, const std::string& part) {
    const auto msg = error_of(vars);
    EXPECT_NE(msg.find(part), std::string::npos) << "message: " << msg;
  };
  expect_error({{"RANK", "0"}, {"WORLD_SIZE", "2"}}, "MASTER_ADDR, MASTER_PORT not");
  auto v = torchrun(2, 2);
  expect_error(v, "RANK=2 is not below WORLD_SIZE=2");
  v = torchrun(0, 2);
  v["WORLD_SIZE"] = "two";
  expect_error(v, "WORLD_SIZE=two is not an integer");
  v = torchrun(0, 2);
  v["MASTER_PORT"] = "70000";
  expect_error(v, "MASTER_PORT=70000 is not a TCP port");
  v = torchrun(1, 2);
  v["LOCAL_RANK"] = "2";
  expect_error(v, "LOCAL_RANK=2 is not below LOCAL_WORLD_SIZE=2");
  v = torchrun(1, 2);
  v.erase("LOCAL_WORLD_SIZE");
  expect_error(v, "LOCAL_RANK is set but LOCAL_WORLD_SIZE is not");
  v = torchrun(0, 2);
  v["RANK"] = "-1";
  expect_error(v, "RANK=-1 is not an integer >= 0");
  expect_error(
      {{"SLURM_PROCID", "0"}, {"SLURM_NTASKS", "2"}, {"SLURM_LOCALID", "0"}, {"SLURM_NODEID", "0"}},
      "MASTER_ADDR (unset) / MASTER_PORT (unset) are missing");
  expect_error({{"SLURM_NTASKS", "2"}}, "SLURM_PROCID, SLURM_LOCALID, SLURM_NODEID unset");
}

}  // namespace
}  // namespace eden::dist
