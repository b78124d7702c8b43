// Atomic writes by write-to-temporary, fsync, rename.
#include "core/atomic_file.h"

#include <fcntl.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <cstring>

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

}  // namespace fv
