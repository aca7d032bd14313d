// ProgressPrinter: redraws at most 10 times a second.
#include "eden/train/progress.h"

#include <fmt/format.h>

#include <cmath>
#include <string>

namespace eden::train {

ProgressPrinter::ProgressPrinter(int64_t epochs, bool live, std::FILE* out)
    : epochs_(epochs), live_(live), out_(out) {}

void ProgressPrinter::on_train_begin(int64_t epoch, int64_t /*num_batches*/) {
  epoch_ = epoch;
  start_ = std::chrono::steady_clock::now();
  last_draw_ = start_ - std::chrono::seconds(1);
}

void ProgressPrinter::on_batch_end(int64_t batch, int64_t num_batches, int64_t images) {
  if (!live_) return;
  const auto now = std::chrono::steady_clock::now();
  const bool last = batch + 1 == num_batches;
  if (!last && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  const double elapsed = std::chrono::duration<double>(now - start_).count();
  const double frac = static_cast<double>(batch + 1) / static_cast<double>(num_batches);
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(frac * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  const double ips = elapsed > 0 ? static_cast<double>(images) / elapsed : 0.0;
  const double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : NAN;
  fmt::print(out_, "\r\033[Kepoch {}/{} [{}] {}/{} {:.0f} img/s ETA {}", epoch_ + 1, epochs_, bar,
             batch + 1, num_batches, ips, format_clock(eta));
  std::fflush(out_);
}

void ProgressPrinter::on_eval_begin(int64_t epoch) {
  if (!live_) return;
  fmt::print(out_, "\r\033[Kepoch {}/{} evaluating...", epoch + 1, epochs_);
  std::fflush(out_);
}

void ProgressPrinter::on_epoch_end(const EpochStats& s) {
  if (live_) fmt::print(out_, "\r\033[K");
  const double ips = s.train_time_s > 0 ? static_cast<double>(s.train_images) / s.train_time_s : 0;
  fmt::print(out_,
             "epoch {}/{} {:<6} lr {:.3g} train_loss {:.4f} eval_top1 {:.4f} eval_f1 {:.4f} "
             "{:.1f}s ({:.0f} img/s){}\n{}",
             s.epoch + 1, epochs_, to_string(s.phase), s.lr, s.train_loss, s.eval.top1,
             s.eval.macro_f1, s.train_time_s + s.eval_time_s, ips, suffix_ ? suffix_() : "",
             lines_ ? lines_() : "");
  std::fflush(out_);
}

}  // namespace eden::train
