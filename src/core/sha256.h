// SHA-256 (FIPS 180-4), for content hashes of configs, model files and artifacts.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace fv {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, std::size_t size);
  void update(std::string_view text) { update(text.data(), text.size()); }
  std::array<std::uint8_t, 32> digest();  // finishes the hash; the object must not be updated after
  std::string hex_digest();

 private:
  void block(const std::uint8_t* p);
  std::array<std::uint32_t, 8> h_;
  std::array<std::uint8_t, 64> buffer_{};
  std::size_t buffered_ = 0;
  std::uint64_t length_ = 0;
};

std::string sha256_hex(std::string_view text);
// Hash of a file's bytes; throws IoError naming the file if it cannot be read.
std::string sha256_file_hex(const std::filesystem::path& path);

}  // namespace fv
