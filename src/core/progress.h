// Progress display for long loops: count, rate and ETA, redrawn in place on a terminal and written as
// periodic plain log lines when stderr is not a terminal (CI logs, nohup, cluster jobs).
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <mutex>
#include <string>

namespace fv {

class Progress {
 public:
  // `total` may be 0 when unknown (then no percentage or ETA). `unit` names the items ("img", "pairs").
  Progress(std::string label, std::uint64_t total, std::string unit = "it");
  ~Progress();
  Progress(const Progress&) = delete;
  Progress& operator=(const Progress&) = delete;

  // Thread-safe; cheap enough to call once per item from many threads.
  void advance(std::uint64_t n = 1);
  // Prints the final line (count, elapsed time, mean rate). Called by the destructor if not before.
  void finish();

  std::uint64_t count() const { return count_.load(std::memory_order_relaxed); }
  // Items per second since construction.
  double rate() const;
  // The status text, e.g. "align 1200/5000 24.0% 312.4 img/s ETA 0:00:12".
  std::string status() const;

  // Plain-mode interval (seconds between lines when stderr is not a terminal); default 10.
  static void set_plain_interval(double seconds);

 private:
  void maybe_render();

  std::string label_;
  std::uint64_t total_;
  std::string unit_;
  std::chrono::steady_clock::time_point start_;
  std::atomic<std::uint64_t> count_{0};
  std::atomic<std::int64_t> next_render_ns_{0};
  std::mutex render_mutex_;
  bool tty_;
  bool finished_ = false;
};

// Formats seconds as H:MM:SS.
std::string format_duration(double seconds);
// Erases a progress line currently drawn on the terminal (the logger calls this before writing).
void clear_progress_line();

}  // namespace fv
