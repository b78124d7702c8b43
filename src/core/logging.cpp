// Log lines with millisecond timestamps; one mutex keeps lines whole across threads.
#include "core/logging.h"

#include <chrono>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <mutex>

#include "core/error.h"
#include "core/progress.h"

namespace fv::log {
namespace {

std::mutex g_mutex;
Level g_level = Level::kInfo;
std::ofstream g_file;

std::string timestamp() {
  const auto now = std::chrono::system_clock::now();
  const auto t = std::chrono::system_clock::to_time_t(now);
  const auto ms = std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count() % 1000;
  std::tm tm{};
  localtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof buf, "%Y-%m-%d %H:%M:%S", &tm);
  return fmt::format("{}.{:03d}", buf, static_cast<int>(ms));
}

}  // namespace

void set_level(Level l) {
  std::lock_guard lock(g_mutex);
  g_level = l;
}

Level level() { return g_level; }

void set_file(const std::filesystem::path& path) {
  std::lock_guard lock(g_mutex);
  if (g_file.is_open()) g_file.close();
  if (path.empty()) return;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  g_file.open(path, std::ios::app);
  if (!g_file) throw IoError("cannot open log file '" + path.string() + "'");
}

void write(Level l, std::string_view message) {
  static constexpr char kTag[] = {'D', 'I', 'W', 'E'};
  const std::string line = fmt::format("{} {} {}\n", timestamp(), kTag[static_cast<int>(l)], message);
  std::lock_guard lock(g_mutex);
  // A live progress bar owns the terminal's last line: clear it, print, and let it redraw.
  clear_progress_line();
  std::fputs(line.c_str(), stderr);
  std::fflush(stderr);
  if (g_file.is_open()) g_file << line << std::flush;
}

}  // namespace fv::log
