// A private temporary folder for the files handed to a helper program (gnuplot's script and data tables).
#pragma once

#include <filesystem>
#include <string>
#include <string_view>

namespace fv::plot {

// Requires: nothing. Ensures: path() is a fresh folder only this process knows (mkdtemp under TMPDIR, else
// /tmp), removed with everything in it by the destructor. Throws IoError naming the folder it could not make.
class ScratchDir {
 public:
  ScratchDir();
  ~ScratchDir();
  ScratchDir(const ScratchDir&) = delete;
  ScratchDir& operator=(const ScratchDir&) = delete;

  const std::filesystem::path& path() const { return path_; }
  // Writes `content` to the file `name` inside the folder and returns its path. Throws IoError naming it.
  std::filesystem::path write(const std::string& name, std::string_view content) const;

 private:
  std::filesystem::path path_;
};

}  // namespace fv::plot
