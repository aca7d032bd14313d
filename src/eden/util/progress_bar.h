// A thread-safe progress line for long work outside the trainer (pre-loading a data set): a live
// bar with items/s and ETA on a terminal, nothing otherwise (callers print their own summary).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>

namespace eden {

/// "1:02:03" / "2:03" for a duration in seconds; "?" when unknown.
std::string format_clock(double seconds);

class ProgressBar {
 public:
  ProgressBar(std::string label, int64_t total, bool live, std::FILE* out = stderr);
  ~ProgressBar();
  ProgressBar(const ProgressBar&) = delete;
  ProgressBar& operator=(const ProgressBar&) = delete;

  /// Counts `n` more items done; redraws at most 10 times a second. Any thread may call it.
  void advance(int64_t n = 1);
  /// Clears the live line (also done by the destructor).
  void finish();

 private:
  void draw(int64_t done);

  std::string label_;
  int64_t total_;
  bool live_;
  std::FILE* out_;
  std::atomic<int64_t> done_{0};
  std::mutex draw_mutex_;
  std::chrono::steady_clock::time_point start_;
  std::chrono::steady_clock::time_point last_draw_;
  bool finished_ = false;
};

}  // namespace eden
