// Checks that a file is a PNG image: its 8-byte signature and some content after it.
#pragma once

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

namespace fv::testing {

// True when `path` starts with the PNG signature (\x89 P N G \r \n \x1a \n) and holds more than that.
inline bool is_png(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  const std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return bytes.size() > 8 && bytes.compare(0, 8, "\x89PNG\r\n\x1a\n") == 0;
}

}  // namespace fv::testing
