// A fresh temporary folder per test, removed afterwards; tests never write into the working directory.
#pragma once

#include <filesystem>
#include <string>

namespace fv::testing {

class TempDir {
 public:
  TempDir();
  ~TempDir();
  TempDir(const TempDir&) = delete;
  TempDir& operator=(const TempDir&) = delete;
  const std::filesystem::path& path() const { return path_; }
  std::filesystem::path operator/(const std::string& name) const { return path_ / name; }

 private:
  std::filesystem::path path_;
};

// Writes `content` to `path` (creating folders), for building test inputs.
void write_text(const std::filesystem::path& path, const std::string& content);
// The source tree's root (from FV_SOURCE_DIR, set by CTest), for golden files under tests/data.
std::filesystem::path source_dir();

}  // namespace fv::testing
