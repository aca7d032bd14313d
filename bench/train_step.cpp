// Cost of one training step as `eden train` runs it (eden::train::Trainer: channels-last by
// default, BLAS threads set, E2AM phases), at a fixed batch and input size. Pairs with
// bench/train_step_peer.py (the same steps in Python); bench/train_step.sh alternates the two.
//
// Usage: build/bench_train_step [--batch 8] [--size 224] [--repeats 5] [--warmup 2]
//          [--threads N] [--amp] [--contiguous] [--system-allocator] [--cases
//          plain,e2am-frozen,e2am-full] MODEL...
// Cases: plain = full model, accumulation 1, no L1; e2am-frozen = backbone frozen (BN eval),
// accumulation 2, L1 1e-5 on the head; e2am-full = everything trainable, accumulation 2, L1 1e-5.
// Prints one "RESULT key=value ..." line per model and case; ms is per micro-batch (the median
// over repeats of one optimizer window's time divided by its micro-batches); gflops_est is the
// FLOP rate that implies (2 x 3 x forward MACs per image; 2 x 1 x MACs when frozen), an
// estimate to compare with bench_gemm_peak.
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <sstream>
#include <string>
#include <vector>

#include "eden/models/macs.h"
#include "eden/models/registry.h"
#include "eden/train/trainer.h"
#include "eden/util/blas_threads.h"
#include "eden/util/host_allocator.h"
#include "eden/util/system.h"
#include "eden/util/torch_compat.h"

namespace {

struct Args {
  int64_t batch = 8;
  int64_t size = 224;
  int repeats = 5;
  int warmup = 2;
  int threads = 0;
  bool amp = false;
  bool channels_last = true;
  bool host_cache = true;
  std::vector<std::string> cases{"plain", "e2am-frozen", "e2am-full"};
  std::vector<std::string> models;
};

std::vector<std::string> split(const std::string& s) {
  std::vector<std::string> out;
  std::stringstream in(s);
  for (std::string item; std::getline(in, item, ',');) out.push_back(item);
  return out;
}

Args parse(int argc, char** argv) {
  Args a;
  for (int i = 1; i < argc; ++i) {
    const std::string k = argv[i];
    auto value = [&]() -> std::string {
      if (i + 1 >= argc) {
        fmt::print(stderr, "{} needs a value\n", k);
        std::exit(2);
      }
      return argv[++i];
    };
    if (k == "--batch") {
      a.batch = std::atoll(value().c_str());
    } else if (k == "--size") {
      a.size = std::atoll(value().c_str());
    } else if (k == "--repeats") {
      a.repeats = std::atoi(value().c_str());
    } else if (k == "--warmup") {
      a.warmup = std::atoi(value().c_str());
    } else if (k == "--threads") {
      a.threads = std::atoi(value().c_str());
    } else if (k == "--amp") {
      a.amp = true;
    } else if (k == "--contiguous") {
      a.channels_last = false;
    } else if (k == "--system-allocator") {
      a.host_cache = false;
    } else if (k == "--cases") {
      a.cases = split(value());
    } else if (k.rfind("--", 0) == 0) {
      fmt::print(stderr, "unknown option {}\n", k);
      std::exit(2);
    } else {
      a.models.push_back(k);
    }
  }
  if (a.threads <= 0) a.threads = eden::usable_cpu_count();
  if (a.models.empty()) a.models = {"mobilevitv3_xxs", "mobilenetv2", "resnet50"};
  return a;
}

/// The TrainConfig of one case (what `eden train` would be given).
eden::train::TrainConfig config_for(const Args& a, const std::string& model,
                                    const std::string& name) {
  eden::train::TrainConfig c;
  c.model = model;
  c.batch_size = a.batch;
  c.amp = a.amp;
  c.channels_last = a.channels_last;
  c.lr = 1e-3;
  c.epochs = 2;
  c.schedule = "constant";
  if (name == "plain") return c;
  c.accum = 2;
  c.l1 = 1e-5;
  if (name == "e2am-frozen") {
    c.unfreeze_epoch = 1;
    return c;
  }
  if (name != "e2am-full") {
    fmt::print(stderr, "unknown case '{}' (plain, e2am-frozen, e2am-full)\n", name);
    std::exit(2);
  }
  return c;
}

}  // namespace

int main(int argc, char** argv) {
  const Args a = parse(argc, argv);
  torch::set_num_threads(a.threads);
  const eden::BlasThreading blas = eden::set_blas_threads(1);  // as eden train does
  if (a.host_cache) eden::install_caching_host_allocator();
  fmt::print(
      "# eden bench_train_step: LibTorch {}, batch {}, size {}, threads {}, {} warm-up + "
      "{} repeats (median), {}, {}\n",
      eden::torch_version(), a.batch, a.size, a.threads, a.warmup, a.repeats,
      a.amp ? "bf16 autocast" : "fp32", a.channels_last ? "channels-last" : "contiguous");
  fmt::print("# BLAS: {}\n# host allocator: {}\n", blas.describe(),
             eden::host_allocator_stats().describe());
  for (const auto& model_name : a.models) {
    for (const auto& case_name : a.cases) {
      const auto config = config_for(a, model_name, case_name);
      torch::manual_seed(0);
      const auto model_options =
          eden::models::ModelOptions().num_classes(1000).in_channels(3).image_size(a.size);
      auto model = eden::models::create_model(model_name, model_options);
      const double macs = static_cast<double>(eden::models::count_macs(*model, model_options));
      eden::train::Trainer trainer(model, config, torch::kCPU, /*updates_per_epoch=*/1000);
      trainer.begin_epoch(0);
      const eden::data::Batch batch{torch::randn({a.batch, 3, a.size, a.size}),
                                    torch::randint(0, 1000, {a.batch}, torch::kLong)};
      if (a.amp) trainer.check_amp_supported(batch.x);
      const int64_t window = config.accum;
      std::vector<double> ms;
      for (int i = 0; i < a.warmup + a.repeats; ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        for (int64_t m = 0; m < window; ++m) trainer.micro_step(batch, window);
        trainer.optimizer_step();
        const double elapsed =
            std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0)
                .count();
        if (i >= a.warmup) ms.push_back(elapsed / static_cast<double>(window));
      }
      std::nth_element(ms.begin(), ms.begin() + static_cast<std::ptrdiff_t>(ms.size() / 2),
                       ms.end());
      const double med = ms[ms.size() / 2];
      const double images_per_s = 1000.0 * static_cast<double>(a.batch) / med;
      // Estimate, not a count: a full training step is taken as 3 forward passes (2 FLOPs per
      // MAC), the usual rule; the frozen case as 1 (the head's backward is negligible).
      const double passes = case_name == "e2am-frozen" ? 1.0 : 3.0;
      fmt::print(
          "RESULT impl=eden torch={} model={} case={} amp={} channels_last={} ms={:.1f} "
          "images_per_s={:.2f} gmacs_per_image={:.3f} gflops_est={:.1f}\n",
          eden::torch_version(), model_name, case_name, a.amp ? 1 : 0, a.channels_last ? 1 : 0, med,
          images_per_s, macs / 1e9, 2.0 * passes * macs * images_per_s / 1e9);
      std::fflush(stdout);
    }
  }
  return 0;
}
