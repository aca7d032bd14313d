// Image-folder data path: (1) pre-load throughput (decode once into RAM, decoded and encoded
// modes), (2) per-epoch batch time after pre-load (random-resized-crop + flip + normalise) and
// (3) the training step it feeds (mobilevitv3_xxs, eden's Trainer step with eden train's threads
// and allocator), so the data share of a step can be stated. Pairs with
// bench/image_folder_peer.py; bench/image_folder.sh runs both.
// Usage: build/bench_image_folder_preload DIR [size=224] [threads=all] [batch=64] [step=1]
#include <fmt/format.h>
#include <torch/torch.h>

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <vector>

#include "eden/data/batch_loader.h"
#include "eden/data/image_folder.h"
#include "eden/models/registry.h"
#include "eden/train/trainer.h"
#include "eden/util/blas_threads.h"
#include "eden/util/host_allocator.h"
#include "eden/util/system.h"

namespace {

double seconds_since(std::chrono::steady_clock::time_point t0) {
  return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  if (argc < 2) {
    fmt::print(stderr, "usage: {} DIR [size=224] [threads=all] [batch=64] [step=1]\n", argv[0]);
    return 2;
  }
  const std::string dir = argv[1];
  const int64_t size = argc > 2 ? std::atoll(argv[2]) : 224;
  const int threads =
      argc > 3 && std::atoi(argv[3]) > 0 ? std::atoi(argv[3]) : eden::usable_cpu_count();
  const int64_t batch = argc > 4 ? std::atoll(argv[4]) : 64;
  const bool time_step = argc > 5 ? std::atoi(argv[5]) != 0 : true;
  torch::set_num_threads(threads);
  eden::set_blas_threads(1);  // threads and allocator as eden train sets them
  eden::install_caching_host_allocator();

  eden::data::ImageFolderOptions fo;
  fo.image_size = size;
  fo.threads = threads;
  fo.progress = false;
  const auto decoded = eden::data::load_image_folder(dir, fo);
  const double files = static_cast<double>(decoded.report.files_seen);
  fmt::print("preload_decoded_images_per_s {:.1f}\n", files / decoded.report.load_s);
  fo.memory_budget_bytes = decoded.report.ram_bytes / 2;  // force encoded mode
  const auto encoded = eden::data::load_image_folder(dir, fo);
  fmt::print(
      "preload_encoded_images_per_s {:.1f} (mode {}, {:.1f} MiB encoded vs {:.1f} MiB "
      "decoded)\n",
      files / encoded.report.load_s, encoded.report.mode,
      static_cast<double>(encoded.report.ram_bytes) / (1 << 20),
      static_cast<double>(decoded.report.ram_bytes) / (1 << 20));

  // Per-epoch data time after pre-load: the trainer's loader with the timm augmentation.
  eden::data::LoaderOptions lo;
  lo.batch_size = batch;
  lo.hflip = true;
  lo.random_resized_crop = true;
  lo.norm = {{0.485, 0.456, 0.406}, {0.229, 0.224, 0.225}};
  auto epoch_batch_ms = [&](const eden::data::ImageDataset& ds) {
    eden::data::BatchLoader loader(ds, lo);
    std::vector<double> ms;
    for (int64_t epoch = 0; epoch < 2; ++epoch) {  // epoch 0: warm-up
      loader.set_epoch(epoch);
      for (int64_t i = 0; i < loader.num_batches(); ++i) {
        const auto t0 = std::chrono::steady_clock::now();
        auto b = loader.batch(i);
        if (epoch > 0 && b.x.size(0) == batch) ms.push_back(1000.0 * seconds_since(t0));
      }
    }
    return median(ms);
  };
  const double decoded_ms = epoch_batch_ms(decoded.train);
  fmt::print("batch_ms_decoded {:.2f} ({:.0f} images/s)\n", decoded_ms,
             1000.0 * batch / decoded_ms);
  const double encoded_ms = epoch_batch_ms(encoded.train);  // no training to overlap with here
  fmt::print("batch_ms_encoded {:.2f} ({:.0f} images/s, decode not overlapped)\n", encoded_ms,
             1000.0 * batch / encoded_ms);

  if (time_step) {
    torch::manual_seed(0);
    auto model =
        eden::models::create_model("mobilevitv3_xxs", eden::models::ModelOptions()
                                                          .num_classes(decoded.train.num_classes())
                                                          .in_channels(3)
                                                          .image_size(size));
    // eden's training step as `eden train` runs it (Trainer: channels-last, FusedAdamW).
    eden::train::TrainConfig config;
    config.model = "mobilevitv3_xxs";
    config.batch_size = batch;
    config.lr = 1e-3;
    config.epochs = 1;
    config.schedule = "constant";
    eden::train::Trainer trainer(model, config, torch::kCPU, /*updates_per_epoch=*/1000);
    trainer.begin_epoch(0);
    eden::data::BatchLoader loader(decoded.train, lo);
    const auto b = loader.batch(0);
    std::vector<double> ms;
    for (int i = 0; i < 4; ++i) {  // 1 warm-up + 3
      const auto t0 = std::chrono::steady_clock::now();
      trainer.micro_step(b, 1);
      trainer.optimizer_step();
      if (i > 0) ms.push_back(1000.0 * seconds_since(t0));
    }
    const double step_ms = median(ms);
    fmt::print("step_ms_mobilevitv3_xxs {:.1f}\n", step_ms);
    fmt::print("data_share_decoded {:.2f}%\n", 100.0 * decoded_ms / (decoded_ms + step_ms));
    fmt::print("data_share_encoded_unoverlapped {:.2f}%\n",
               100.0 * encoded_ms / (encoded_ms + step_ms));
  }
  return 0;
}
