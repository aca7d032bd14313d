// Progress display as a trainer callback: a live bar with images/s and ETA on a terminal,
// one plain line per epoch otherwise (logs, CI).
#pragma once

#include <chrono>
#include <cstdio>
#include <functional>
#include <string>

#include "eden/train/trainer.h"
#include "eden/util/progress_bar.h"

namespace eden::train {

class ProgressPrinter : public TrainerCallback {
 public:
  /// `live` = draw the bar (stderr is a terminal); `out` receives the per-epoch lines.
  ProgressPrinter(int64_t epochs, bool live, std::FILE* out = stderr);
  void on_train_begin(int64_t epoch, int64_t num_batches) override;
  void on_batch_end(int64_t batch, int64_t num_batches, int64_t images) override;
  void on_eval_begin(int64_t epoch) override;
  void on_epoch_end(const EpochStats& stats) override;
  /// Text appended to each epoch line, and lines printed after it (e.g. the forecast).
  void set_notes(std::function<std::string()> suffix, std::function<std::string()> lines) {
    suffix_ = std::move(suffix);
    lines_ = std::move(lines);
  }

 private:
  int64_t epochs_;
  bool live_;
  std::FILE* out_;
  int64_t epoch_ = 0;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  std::function<std::string()> suffix_, lines_;
};

}  // namespace eden::train
