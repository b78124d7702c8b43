// Atomic file writes: readers and a restarted run see either the old file or the complete new one.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <string_view>

namespace fv {

// Writes `content` to a temporary file beside `path`, flushes it to disk and renames it over `path`.
// Creates missing parent folders. Throws IoError naming the file on any failure (nothing is left behind).
void write_file_atomic(const std::filesystem::path& path, std::string_view content);

// For outputs written by a library that takes a file name (HDF5, OpenCV, torch::save): write to
// temp_path(), then commit(). If commit() is never called the temporary file is removed.
class AtomicOutput {
 public:
  explicit AtomicOutput(std::filesystem::path path);
  ~AtomicOutput();
  AtomicOutput(const AtomicOutput&) = delete;
  AtomicOutput& operator=(const AtomicOutput&) = delete;

  const std::filesystem::path& temp_path() const { return temp_; }
  const std::filesystem::path& path() const { return path_; }
  // fsyncs the temporary file and renames it to path(); throws IoError on failure.
  void commit();

 private:
  std::filesystem::path path_;
  std::filesystem::path temp_;
  bool committed_ = false;
};

// Reads a whole file; throws IoError naming it if it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace fv
