// Progress rendering: in-place redraw at up to 5 Hz on a TTY, a log line every N seconds otherwise.
#include "core/progress.h"

#include <unistd.h>

#include <cstdio>

#include <fmt/format.h>

#include "core/logging.h"

namespace fv {
namespace {

std::atomic<double> g_plain_interval{10.0};
std::atomic<bool> g_line_drawn{false};
constexpr double kTtyInterval = 0.2;

std::int64_t now_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

}  // namespace

void clear_progress_line() {
  if (g_line_drawn.exchange(false)) std::fputs("\r\033[K", stderr);
}

std::string format_duration(double seconds) {
  if (!(seconds >= 0) || seconds > 1e8) return "?:??:??";
  const auto s = static_cast<long long>(seconds + 0.5);
  return fmt::format("{}:{:02d}:{:02d}", s / 3600, static_cast<int>(s / 60 % 60), static_cast<int>(s % 60));
}

void Progress::set_plain_interval(double seconds) { g_plain_interval = seconds; }

Progress::Progress(std::string label, std::uint64_t total, std::string unit)
    : label_(std::move(label)),
      total_(total),
      unit_(std::move(unit)),
      start_(std::chrono::steady_clock::now()),
      tty_(::isatty(STDERR_FILENO) == 1) {
  const double interval = tty_ ? kTtyInterval : g_plain_interval.load();
  next_render_ns_ = now_ns() + static_cast<std::int64_t>(interval * 1e9);
}

Progress::~Progress() { finish(); }

double Progress::rate() const {
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  return elapsed > 0 ? static_cast<double>(count()) / elapsed : 0.0;
}

std::string Progress::status() const {
  const std::uint64_t n = count();
  const double r = rate();
  std::string text = fmt::format("{} {}", label_, n);
  if (total_ > 0) {
    text += fmt::format("/{} {:.1f}%", total_, 100.0 * static_cast<double>(n) / static_cast<double>(total_));
  }
  text += fmt::format(" {:.1f} {}/s", r, unit_);
  if (total_ > 0 && n < total_) {
    text += " ETA " + (r > 0 ? format_duration(static_cast<double>(total_ - n) / r) : std::string("?:??:??"));
  }
  return text;
}

void Progress::advance(std::uint64_t n) {
  count_.fetch_add(n, std::memory_order_relaxed);
  if (now_ns() >= next_render_ns_.load(std::memory_order_relaxed)) maybe_render();
}

void Progress::maybe_render() {
  std::unique_lock lock(render_mutex_, std::try_to_lock);
  if (!lock.owns_lock() || finished_) return;
  const std::int64_t now = now_ns();
  if (now < next_render_ns_) return;
  const double interval = tty_ ? kTtyInterval : g_plain_interval.load();
  next_render_ns_ = now + static_cast<std::int64_t>(interval * 1e9);
  if (tty_) {
    std::fprintf(stderr, "\r\033[K%s", status().c_str());
    std::fflush(stderr);
    g_line_drawn = true;
  } else {
    log::info("{}", status());
  }
}

void Progress::finish() {
  std::lock_guard lock(render_mutex_);
  if (finished_) return;
  finished_ = true;
  const double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  clear_progress_line();
  log::info("{} done: {} {} in {} ({:.1f} {}/s)", label_, count(), unit_, format_duration(elapsed), rate(), unit_);
}

}  // namespace fv
