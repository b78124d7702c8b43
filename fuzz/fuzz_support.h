// Helpers shared by the fuzz targets: the input as text, two-part inputs, and a scratch folder for the parsers
// that take a path.
//
// Every target catches fv::Error only: a parser may refuse its input with the project's errors (IoError,
// FormatError, DataError, ConfigError), and anything else escaping it (std::out_of_range, std::bad_alloc, a
// library's own exception) is a bug that libFuzzer reports as a crash, like ASan and UBSan findings.
#pragma once

#include <unistd.h>

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <string_view>
#include <utility>

namespace fv::fuzz {

inline std::string_view bytes_of(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

// Inputs made of two files ("<first>\0<second>", seeds: the two real files joined by one NUL byte): the part
// before the first NUL byte and the part after it (empty when the input has no NUL).
inline std::pair<std::string_view, std::string_view> split_at_nul(std::string_view input) {
  const std::size_t nul = input.find('\0');
  if (nul == std::string_view::npos) return {input, {}};
  return {input.substr(0, nul), input.substr(nul + 1)};
}

// A folder of this process for parsers that read paths: under $FV_FUZZ_SCRATCH when set (scripts/fuzz.sh
// sets it and removes it afterwards, since a crashing process skips the clean-up), else in /dev/shm (memory)
// or $TMPDIR; removed at a normal exit.
class ScratchDir {
 public:
  static const std::filesystem::path& path() {
    static ScratchDir dir;
    return dir.path_;
  }
  // Writes `bytes` to path() / name and returns the path.
  static std::filesystem::path write(const std::string& name, std::string_view bytes) {
    const std::filesystem::path file = path() / name;
    std::FILE* f = std::fopen(file.c_str(), "wb");
    if (f == nullptr || std::fwrite(bytes.data(), 1, bytes.size(), f) != bytes.size() || std::fclose(f) != 0) {
      throw std::runtime_error("fuzz: cannot write " + file.string());  // the harness, not the parser: abort
    }
    return file;
  }

 private:
  ScratchDir() {
    const char* scratch = std::getenv("FV_FUZZ_SCRATCH");
    const char* tmp = std::getenv("TMPDIR");
    const std::filesystem::path base = scratch != nullptr                       ? scratch
                                       : std::filesystem::is_directory("/dev/shm") ? "/dev/shm"
                                       : tmp != nullptr                            ? tmp
                                                                                   : "/tmp";
    path_ = base / ("fv-fuzz-" + std::to_string(::getpid()));
    std::filesystem::create_directories(path_);
  }
  ~ScratchDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::filesystem::path path_;
};

}  // namespace fv::fuzz
