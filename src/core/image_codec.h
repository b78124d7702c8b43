// JPEG and PNG decoding without OpenCV (libjpeg-turbo, libpng), so that training and embedding build on
// machines that have LibTorch but not OpenCV. Pixels come out as 8-bit RGB, row-major, HWC.
#pragma once

#include <cstddef>
#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>
#include <vector>

namespace fv {

struct RgbImage {
  int width = 0;
  int height = 0;
  std::vector<std::uint8_t> pixels;  // width * height * 3 bytes, R G B
};

enum class ImageFormat { kUnknown, kJpeg, kPng };

struct ImageInfo {
  ImageFormat format = ImageFormat::kUnknown;
  int width = 0;
  int height = 0;
};

// Reads the format and dimensions from the header only. Throws FormatError naming `name` when the bytes
// are not a JPEG or PNG or the header is cut short.
ImageInfo probe_image(const std::uint8_t* data, std::size_t size, std::string_view name);

// Decodes a JPEG (grey, YCbCr, CMYK/YCCK) or PNG (grey, palette, 16-bit, alpha: composited on black) to
// RGB. Requires width * height <= max_pixels (checked before any pixel memory is allocated).
// Throws FormatError naming `name` for corrupt, truncated or unsupported data.
RgbImage decode_image(const std::uint8_t* data, std::size_t size, std::string_view name,
                      std::int64_t max_pixels = std::int64_t{1} << 28);

// read_file + decode_image; IoError if the file cannot be read.
RgbImage read_image(const std::filesystem::path& path, std::int64_t max_pixels = std::int64_t{1} << 28);

}  // namespace fv
