// Test helper: encodes RGB images as PNG (zlib, no filter), so tests can make exact image bytes.
#pragma once

#include <zlib.h>

#include <cstdint>
#include <string>
#include <vector>

namespace fv::testing {

// Encodes width x height RGB pixels (row-major, 3 bytes each) as an 8-bit, non-interlaced PNG.
inline std::string encode_png(int width, int height, const std::vector<std::uint8_t>& rgb) {
  auto be32 = [](std::string& s, std::uint32_t v) {
    for (int i = 3; i >= 0; --i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  };
  auto chunk = [&](std::string& out, const char* type, const std::string& data) {
    be32(out, static_cast<std::uint32_t>(data.size()));
    std::string body = std::string(type, 4) + data;
    out += body;
    be32(out, static_cast<std::uint32_t>(crc32(0, reinterpret_cast<const Bytef*>(body.data()), static_cast<uInt>(body.size()))));
  };
  std::string ihdr;
  be32(ihdr, static_cast<std::uint32_t>(width));
  be32(ihdr, static_cast<std::uint32_t>(height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit, RGB, deflate, no filter, no interlace
  std::string raw;
  for (int y = 0; y < height; ++y) {
    raw.push_back(0);  // filter type none
    raw.append(reinterpret_cast<const char*>(rgb.data()) + static_cast<std::size_t>(y) * width * 3,
               static_cast<std::size_t>(width) * 3);
  }
  uLongf size = compressBound(static_cast<uLong>(raw.size()));
  std::vector<Bytef> z(size);
  compress(z.data(), &size, reinterpret_cast<const Bytef*>(raw.data()), static_cast<uLong>(raw.size()));
  std::string out("\x89PNG\r\n\x1a\n", 8);
  chunk(out, "IHDR", ihdr);
  chunk(out, "IDAT", std::string(reinterpret_cast<const char*>(z.data()), size));
  chunk(out, "IEND", "");
  return out;
}

// A width x height RGB PNG whose pixel (x, y) is (r + x, g + y, b) (mod 256).
inline std::string make_png(int width, int height, std::uint8_t r, std::uint8_t g, std::uint8_t b) {
  std::vector<std::uint8_t> rgb;
  for (int y = 0; y < height; ++y) {
    for (int x = 0; x < width; ++x) {
      rgb.push_back(static_cast<std::uint8_t>(r + x));
      rgb.push_back(static_cast<std::uint8_t>(g + y));
      rgb.push_back(b);
    }
  }
  return encode_png(width, height, rgb);
}

}  // namespace fv::testing
