// Atomic writes by write-to-temporary, fsync, rename.
#include "core/atomic_file.h"

#include <fcntl.h>
#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <regex>

#include <fmt/format.h>

#include "core/error.h"

namespace fv {
namespace {

std::filesystem::path make_temp_name(const std::filesystem::path& path) {
  static std::atomic<unsigned> counter{0};
  return path.parent_path() /
         fmt::format(".{}.tmp.{}.{}", path.filename().string(), static_cast<long>(::getpid()), counter++);
}

void ensure_parent(const std::filesystem::path& path) {
  const auto parent = path.parent_path();
  if (parent.empty()) return;
  std::error_code ec;
  std::filesystem::create_directories(parent, ec);
  if (ec) throw IoError(fmt::format("cannot create folder '{}': {}", parent.string(), ec.message()));
}

void fsync_path(const std::filesystem::path& path) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw IoError(fmt::format("cannot open '{}' to sync it: {}", path.string(), std::strerror(errno)));
  const int rc = ::fsync(fd);
  ::close(fd);
  if (rc != 0) throw IoError(fmt::format("cannot sync '{}': {}", path.string(), std::strerror(errno)));
}

}  // namespace

AtomicOutput::AtomicOutput(std::filesystem::path path) : path_(std::move(path)) {
  ensure_parent(path_);
  temp_ = make_temp_name(path_);
}

AtomicOutput::~AtomicOutput() {
  if (!committed_) {
    std::error_code ec;
    std::filesystem::remove(temp_, ec);
  }
}

void AtomicOutput::commit() {
  fsync_path(temp_);
  if (::rename(temp_.c_str(), path_.c_str()) != 0) {
    throw IoError(fmt::format("cannot rename '{}' to '{}': {}", temp_.string(), path_.string(), std::strerror(errno)));
  }
  committed_ = true;
}

void write_file_atomic(const std::filesystem::path& path, std::string_view content) {
  AtomicOutput out(path);
  {
    std::ofstream file(out.temp_path(), std::ios::binary | std::ios::trunc);
    if (!file) throw IoError(fmt::format("cannot create '{}'", out.temp_path().string()));
    file.write(content.data(), static_cast<std::streamsize>(content.size()));
    file.flush();
    if (!file) throw IoError(fmt::format("cannot write '{}' (disk full?)", out.temp_path().string()));
  }
  out.commit();
}

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw IoError(fmt::format("cannot open '{}' for reading", path.string()));
  std::string content((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (in.bad()) throw IoError(fmt::format("error while reading '{}'", path.string()));
  return content;
}

namespace {

// Whether the temporary file `name` was made by make_temp_name in a process that is no longer running.
bool is_stale_temporary(const std::string& name) {
  static const std::regex pattern(R"(\..+\.tmp\.([0-9]+)\.[0-9]+)");
  std::smatch m;
  if (!std::regex_match(name, m, pattern)) return false;
  const long pid = std::strtol(m[1].str().c_str(), nullptr, 10);
  if (pid == static_cast<long>(::getpid())) return false;  // this process's own, perhaps being written
  return pid <= 0 || (::kill(static_cast<pid_t>(pid), 0) != 0 && errno == ESRCH);
}

template <typename Iterator>
std::size_t remove_matching(Iterator it, const std::filesystem::path& dir) {
  std::size_t removed = 0;
  std::error_code ec;
  for (const Iterator end; it != end; it.increment(ec)) {
    if (ec) throw IoError(fmt::format("cannot list '{}': {}", dir.string(), ec.message()));
    const auto& entry = *it;
    if (!entry.is_regular_file(ec) || !is_stale_temporary(entry.path().filename().string())) continue;
    if (std::filesystem::remove(entry.path(), ec)) ++removed;
  }
  if (ec) throw IoError(fmt::format("cannot list '{}': {}", dir.string(), ec.message()));
  return removed;
}

}  // namespace

std::size_t remove_stale_temporaries(const std::filesystem::path& dir, bool recursive) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec)) return 0;
  if (recursive) {
    std::filesystem::recursive_directory_iterator it(dir, std::filesystem::directory_options::skip_permission_denied, ec);
    if (ec) throw IoError(fmt::format("cannot list '{}': {}", dir.string(), ec.message()));
    return remove_matching(std::move(it), dir);
  }
  std::filesystem::directory_iterator it(dir, ec);
  if (ec) throw IoError(fmt::format("cannot list '{}': {}", dir.string(), ec.message()));
  return remove_matching(std::move(it), dir);
}

}  // namespace fv
