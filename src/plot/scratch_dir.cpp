// ScratchDir: mkdtemp, write, remove_all.
#include "plot/scratch_dir.h"

#include <fmt/format.h>
#include <stdlib.h>

#include <cerrno>
#include <cstring>

#include "core/atomic_file.h"
#include "core/error.h"

namespace fv::plot {

ScratchDir::ScratchDir() {
  std::error_code ec;
  std::filesystem::path base = std::filesystem::temp_directory_path(ec);
  if (ec) base = "/tmp";
  std::string pattern = (base / "fv-plot-XXXXXX").string();
  if (::mkdtemp(pattern.data()) == nullptr) {
    throw IoError(fmt::format("cannot create a temporary folder '{}': {}", pattern, std::strerror(errno)));
  }
  path_ = pattern;
}

ScratchDir::~ScratchDir() {
  std::error_code ec;
  std::filesystem::remove_all(path_, ec);
}

std::filesystem::path ScratchDir::write(const std::string& name, std::string_view content) const {
  const std::filesystem::path file = path_ / name;
  write_file_atomic(file, content);
  return file;
}

}  // namespace fv::plot
