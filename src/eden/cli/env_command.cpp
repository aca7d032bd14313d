// `eden env`: the profiling environment (GPU, CPU, RAM, OS) and which energy meters work here.
#include <fmt/format.h>

#include <iostream>
#include <memory>

#include "eden/cli/commands.h"
#include "eden/energy/environment.h"
#include "eden/util/blas_threads.h"
#include "eden/util/host_allocator.h"
#include "eden/util/parallel.h"
#include "eden/util/system.h"
#include "eden/util/torch_compat.h"

namespace eden::cli {
namespace {

struct EnvOptions {
  bool json = false;
};

int run(const EnvOptions& options) {
  energy::EnvironmentReport report = energy::probe_environment();
  report.add("LibTorch", torch_description(), "libtorch_version", torch_version());
  report.add("LibTorch CUDA build", torch_cuda_build() ? "yes" : "no", "libtorch_cuda_build",
             torch_cuda_build());
  // What training does: intra-op threads on every core, BLAS single-threaded inside them.
  const BlasThreading blas = set_blas_threads(1);
  report.add("BLAS", blas.describe() + "; eden train sets it so", "blas", blas.json());
  install_caching_host_allocator();
  report.add("Host allocator", host_allocator_stats().describe() + "; eden train uses it",
             "host_allocator", host_allocator_stats().json());
  report.add("Threads", std::to_string(usable_cpu_count()) + " usable cores", "usable_cores",
             usable_cpu_count());
  torch::set_num_threads(usable_cpu_count());
  const int reached = intra_op_threads_reached();
  report.add("EDEN's parallel loops",
             fmt::format("{} of {} intra-op threads{}", reached, torch::get_num_threads(),
                         reached < torch::get_num_threads() ? " (built without OpenMP?)" : ""),
             "intra_op_threads_reached", reached);
  if (options.json) {
    std::cout << report.json().dump(2) << "\n";
  } else {
    std::cout << report.to_markdown();
    for (const auto& warning : report.json()["warnings"]) {
      std::cout << "warning: " << warning.get<std::string>() << "\n";
    }
  }
  return 0;
}

}  // namespace

void register_env_command(CLI::App& root, int& exit_code) {
  auto options = std::make_shared<EnvOptions>();
  auto* sub = root.add_subcommand(
      "env", "Print the profiling environment (GPU, CPU, RAM, OS) and the energy meters available");
  sub->add_flag("--json", options->json, "Print JSON instead of a Markdown table");
  sub->callback([options, &exit_code] { exit_code = run(*options); });
}

}  // namespace eden::cli
