// Cost of one training step (forward, backward, AdamW step) of each registered model at a fixed
// batch and input size: 2 warm-up steps, then the median of N. Pairs with
// bench/model_step_peer.py, which times torchvision's resnet50 / mobilenetv2 the same way.
// Usage: build/bench_model_step [batch=8] [size=224] [repeats=5] [threads=all] [model ...]
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <string>
#include <vector>

#include "eden/models/registry.h"
#include "eden/util/blas_threads.h"
#include "eden/util/system.h"

int main(int argc, char** argv) {
  const int64_t batch = argc > 1 ? std::atoll(argv[1]) : 8;
  const int64_t size = argc > 2 ? std::atoll(argv[2]) : 224;
  const int repeats = argc > 3 ? std::atoi(argv[3]) : 5;
  const int threads =
      argc > 4 && std::atoi(argv[4]) > 0 ? std::atoi(argv[4]) : eden::usable_cpu_count();
  std::vector<std::string> names;
  for (int i = 5; i < argc; ++i) names.emplace_back(argv[i]);
  if (names.empty()) {
    for (const auto& spec : eden::models::list_models()) names.push_back(spec.name);
  }
  torch::set_num_threads(threads);
  const eden::BlasThreading blas = eden::set_blas_threads(1);  // as eden train does
  fmt::print("batch {} size {} threads {} repeats {} (median, fp32, channels-first, AdamW)\n",
             batch, size, threads, repeats);
  fmt::print("BLAS: {}\n", blas.describe());
  fmt::print("{:<20} {:>12} {:>12}\n", "model", "step_ms", "images_per_s");
  for (const auto& name : names) {
    torch::manual_seed(0);
    auto model = eden::models::create_model(
        name, eden::models::ModelOptions().num_classes(1000).in_channels(3).image_size(size));
    model->train();
    torch::optim::AdamW opt(model->parameters(), torch::optim::AdamWOptions(1e-3));
    auto x = torch::randn({batch, 3, size, size});
    auto y = torch::randint(0, 1000, {batch}, torch::kLong);
    auto step = [&] {
      auto loss = torch::nn::functional::cross_entropy(model->forward(x), y);
      opt.zero_grad();
      loss.backward();
      opt.step();
    };
    std::vector<double> ms;
    for (int i = 0; i < 2 + repeats; ++i) {
      const auto t0 = std::chrono::steady_clock::now();
      step();
      if (i >= 2) {
        ms.push_back(
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count());
      }
    }
    std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
    const double med = ms[ms.size() / 2];
    fmt::print("{:<20} {:>12.1f} {:>12.1f}\n", name, med, 1000.0 * batch / med);
    std::fflush(stdout);
  }
  return 0;
}
