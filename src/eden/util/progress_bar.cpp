// ProgressBar: one thread draws at a time (try_lock), the others only count.
#include "eden/util/progress_bar.h"

#include <fmt/format.h>

#include <cmath>

namespace eden {

std::string format_clock(double seconds) {
  if (!std::isfinite(seconds) || seconds < 0) return "?";
  const auto s = static_cast<int64_t>(seconds + 0.5);
  if (s >= 3600) return fmt::format("{}:{:02}:{:02}", s / 3600, (s / 60) % 60, s % 60);
  return fmt::format("{}:{:02}", s / 60, s % 60);
}

ProgressBar::ProgressBar(std::string label, int64_t total, bool live, std::FILE* out)
    : label_(std::move(label)), total_(total), live_(live), out_(out) {
  start_ = std::chrono::steady_clock::now();
  last_draw_ = start_ - std::chrono::seconds(1);
}

ProgressBar::~ProgressBar() {
  finish();
}

void ProgressBar::advance(int64_t n) {
  const int64_t done = done_ += n;
  if (!live_) return;
  std::unique_lock<std::mutex> lock(draw_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  const auto now = std::chrono::steady_clock::now();
  if (done < total_ && now - last_draw_ < std::chrono::milliseconds(100)) return;
  last_draw_ = now;
  draw(done);
}

void ProgressBar::draw(int64_t done) {
  const double elapsed = std::chrono::duration<double>(last_draw_ - start_).count();
  const double frac = total_ > 0 ? static_cast<double>(done) / static_cast<double>(total_) : 1.0;
  constexpr int kWidth = 30;
  const int filled = static_cast<int>(std::min(frac, 1.0) * kWidth);
  std::string bar(filled, '#');
  bar.append(kWidth - filled, '.');
  const double rate = elapsed > 0 ? static_cast<double>(done) / elapsed : 0.0;
  const double eta = frac > 0 ? elapsed * (1.0 - frac) / frac : NAN;
  fmt::print(out_, "\r\033[K{} [{}] {}/{} {:.0f}/s ETA {}", label_, bar, done, total_, rate,
             format_clock(eta));
  std::fflush(out_);
}

void ProgressBar::finish() {
  std::lock_guard<std::mutex> lock(draw_mutex_);
  if (finished_) return;
  finished_ = true;
  if (live_) {
    fmt::print(out_, "\r\033[K");
    std::fflush(out_);
  }
}

}  // namespace eden
