// `eden launch`: start this machine's ranks of a data-parallel eden command (torchrun's contract).
#include <fmt/format.h>
#include <unistd.h>

#include <array>
#include <memory>
#include <string>
#include <vector>

#include "eden/cli/commands.h"
#include "eden/dist/launcher.h"
#include "eden/util/check.h"

namespace eden::cli {
namespace {

std::string self_executable() {
  std::array<char, 4096> buf{};
  const ssize_t n = readlink("/proc/self/exe", buf.data(), buf.size() - 1);
  EDEN_CHECK(n > 0, "eden launch: cannot find its own executable (/proc/self/exe)");
  return std::string(buf.data(), static_cast<size_t>(n));
}

}  // namespace

void register_launch_command(CLI::App& root, int& exit_code) {
  auto* sub = root.add_subcommand(
      "launch",
      "start N ranks of a data-parallel eden command on this machine with torchrun's "
      "environment, e.g. eden launch --nproc 2 -- train --model mobilevitv3_xxs ...");
  auto opts = std::make_shared<dist::LaunchOptions>();
  auto master = std::make_shared<std::string>();
  auto grace_s = std::make_shared<double>(10.0);
  sub->add_option("--nproc", opts->nproc, "ranks on this machine")->required();
  sub->add_option("--nnodes", opts->nnodes, "machines in the job (default 1)");
  sub->add_option("--node-rank", opts->node_rank, "this machine's index, 0 .. nnodes-1");
  sub->add_option("--master", *master,
                  "ADDR:PORT of rank 0's machine, where it hosts the store (default "
                  "127.0.0.1:29500; the same on every machine)");
  sub->add_option("--grace", *grace_s,
                  "seconds the ranks get to stop after one failed or a signal, before SIGKILL");
  auto command = std::make_shared<std::vector<std::string>>();
  sub->add_option("command", *command, "the eden command each rank runs, after --");
  sub->prefix_command();  // without --: everything from the first positional on is the command
  sub->callback([=, &exit_code] {
    std::vector<std::string> args = *command;
    for (auto& a : sub->remaining()) args.push_back(a);
    if (!args.empty() && args.front() == "--") args.erase(args.begin());
    EDEN_CHECK(!args.empty(), "eden launch: no command; hint: eden launch --nproc 2 -- train ...");
    EDEN_CHECK(args.front() == "train" || args.front() == "eval" || args.front() == "run",
               "eden launch: '", args.front(),
               "' is not a data-parallel command; hint: train, eval or run after --");
    if (!master->empty()) dist::parse_master(*master, *opts);
    EDEN_CHECK(opts->nnodes == 1 || !master->empty(), "eden launch: --nnodes ", opts->nnodes,
               " needs --master ADDR:PORT of rank 0's machine");
    opts->grace = std::chrono::milliseconds(static_cast<int64_t>(*grace_s * 1000.0));
    exit_code = dist::launch(*opts, self_executable(), args);
  });
}

}  // namespace eden::cli
