// Cost of one AdamW step over a model's parameters: eden's FusedAdamW against LibTorch's
// torch::optim::AdamW, alternating, with random gradients (what Trainer::optimizer_step pays).
// Usage: build/bench_optimizer_step [model=resnet50] [repeats=7] [rounds=2] [threads=all]
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "eden/models/registry.h"
#include "eden/train/fused_adamw.h"
#include "eden/util/blas_threads.h"
#include "eden/util/host_allocator.h"
#include "eden/util/system.h"
#include "eden/util/torch_compat.h"

int main(int argc, char** argv) {
  const std::string model_name = argc > 1 ? argv[1] : "resnet50";
  const int repeats = argc > 2 ? std::atoi(argv[2]) : 7;
  const int rounds = argc > 3 ? std::atoi(argv[3]) : 2;
  const int threads =
      argc > 4 && std::atoi(argv[4]) > 0 ? std::atoi(argv[4]) : eden::usable_cpu_count();
  torch::set_num_threads(threads);
  eden::set_blas_threads(1);
  eden::install_caching_host_allocator();
  auto model = eden::models::create_model(
      model_name, eden::models::ModelOptions().num_classes(1000).in_channels(3).image_size(224));
  int64_t numel = 0;
  for (auto& p : model->parameters()) {
    p.mutable_grad() = torch::randn_like(p);
    numel += p.numel();
  }
  fmt::print(
      "# bench_optimizer_step: LibTorch {}, {} ({} parameters, {} tensors), threads {}, "
      "1 warm-up + median of {} steps, {} rounds\n",
      eden::torch_version(), model_name, numel, model->parameters().size(), threads, repeats,
      rounds);
  const auto opts = torch::optim::AdamWOptions(1e-3).weight_decay(0.01);
  torch::optim::AdamW libtorch(model->parameters(), opts);
  eden::train::FusedAdamW fused(model->parameters(), opts);
  for (int r = 0; r < rounds; ++r) {
    for (int which = 0; which < 2; ++which) {
      torch::optim::Optimizer& opt =
          which == 0 ? static_cast<torch::optim::Optimizer&>(libtorch) : fused;
      std::vector<double> ms;
      for (int i = 0; i < 1 + repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        opt.step();
        const auto t1 = std::chrono::steady_clock::now();
        if (i > 0) ms.push_back(std::chrono::duration<double, std::milli>(t1 - t0).count());
      }
      std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2),
                       ms.end());
      fmt::print("round {} {:<24} {:8.1f} ms\n", r + 1,
                 which == 0 ? "torch::optim::AdamW" : "eden FusedAdamW", ms[ms.size() / 2]);
      std::fflush(stdout);
    }
  }
  return 0;
}
