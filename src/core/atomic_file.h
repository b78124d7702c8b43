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

// Removes the temporary files AtomicOutput leaves behind when a process is killed while writing
// (".<name>.tmp.<pid>.<n>") from `dir`, and from its sub-folders when `recursive`, except those of processes that
// are still running on this machine. Call it when a run resumes in its output folder. Returns how many it removed;
// a missing `dir` removes nothing. Throws IoError naming the folder when it cannot be listed.
std::size_t remove_stale_temporaries(const std::filesystem::path& dir, bool recursive);

// Reads a whole file; throws IoError naming it if it cannot be read.
std::string read_file(const std::filesystem::path& path);

}  // namespace fv
