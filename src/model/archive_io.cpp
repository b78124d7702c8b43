// Dotted-name tensor reads from nested module archives; atomic archive writes.
#include "model/archive_io.h"

#include <fcntl.h>
#include <unistd.h>

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cerrno>
#include <cstring>
#include <deque>

#include "core/atomic_file.h"
#include "core/check.h"
#include "core/error.h"

namespace fv {

bool read_module_tensor(torch::serialize::InputArchive& root, const std::string& name, torch::Tensor& target,
                        bool is_buffer, const std::string& where) {
  std::deque<torch::serialize::InputArchive> chain;  // stable addresses
  torch::serialize::InputArchive* node = &root;
  std::string rest = name;
  for (auto dot = rest.find('.'); dot != std::string::npos; dot = rest.find('.')) {
    chain.emplace_back();
    if (!node->try_read(rest.substr(0, dot), chain.back())) return false;
    node = &chain.back();
    rest = rest.substr(dot + 1);
  }
  torch::Tensor value;
  if (!node->try_read(rest, value, is_buffer)) return false;
  FV_CHECK(value.sizes() == target.sizes(), FormatError, "{}: '{}' has shape [{}], expected [{}]", where, name,
           fmt::join(value.sizes(), ", "), fmt::join(target.sizes(), ", "));
  torch::NoGradGuard no_grad;
  target.copy_(value);
  return true;
}

void save_archive_atomic(torch::serialize::OutputArchive& archive, const std::filesystem::path& path,
                         std::string_view what) {
  AtomicOutput out(path);
  const int fd = ::open(out.temp_path().c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) {
    throw IoError(fmt::format("{}: cannot create the {} file ({}): check the folder's permissions", path.string(),
                              what, std::strerror(errno)));
  }
  int error = 0;
  // Always reports the whole buffer as written: a short count makes LibTorch throw, and its zip writer's
  // destructor then throws again during unwinding. The first error is kept and reported below.
  const auto writer = [&](const void* data, std::size_t size) -> std::size_t {
    const char* p = static_cast<const char*>(data);
    std::size_t left = size;
    while (error == 0 && left > 0) {
      const ssize_t n = ::write(fd, p, left);
      if (n < 0) {
        if (errno == EINTR) continue;
        error = errno;
      } else {
        p += n;
        left -= static_cast<std::size_t>(n);
      }
    }
    return size;
  };
  std::string library_error;
  try {
    archive.save_to(writer);
  } catch (const c10::Error& e) {
    library_error = e.what_without_backtrace();
  }
  if (::close(fd) != 0 && error == 0) error = errno;
  if (error != 0) {
    throw IoError(fmt::format("{}: cannot write the {} file ({}): free some space or raise the file-size limit, then "
                              "rerun", path.string(), what, std::strerror(error)));
  }
  if (!library_error.empty())
    throw IoError(fmt::format("{}: cannot write the {} file ({})", path.string(), what, library_error));
  out.commit();
}

}  // namespace fv
