// Reading photos (bounded memory, every failure a status) and encoding aligned faces, with OpenCV and giflib.
#pragma once

#include "core/image_codec.h"  // ImageFormat

#include <opencv2/core.hpp>

#include <cstdint>
#include <filesystem>
#include <string>
#include <string_view>

namespace fv {

// Dimensions read from a file's header without decoding it.
struct ImageHeader {
  bool known = false;  // false: format not recognised by the probe (OpenCV's own limits still apply)
  std::string format;  // "jpeg", "png", "bmp", "gif", "webp", "pnm"
  std::int64_t width = 0;
  std::int64_t height = 0;
  bool truncated = false;  // JPEG whose markers and scans end before an end-of-image marker
};

// Reads width/height from JPEG (SOFn), PNG (IHDR), BMP, GIF, WebP (VP8/VP8L/VP8X) and PNM headers.
ImageHeader probe_image_header(std::string_view bytes);

enum class DecodeStatus { kOk, kMissing, kUnreadable, kTruncated, kTooLarge, kTooSmall };

struct DecodeLimits {
  std::int64_t max_file_bytes = 256ll << 20;
  std::int64_t max_pixels = 100'000'000;  // width*height from the header; larger files are not decoded
  int min_size = 32;                      // smaller width or height: too small
};

struct DecodedImage {
  DecodeStatus status = DecodeStatus::kUnreadable;
  std::string detail;  // why, for the manifest
  cv::Mat bgr;         // 8-bit, 3 channels, when status == kOk
};

// Reads and decodes one file to 8-bit BGR, the one way fv-align and fv-verify read photos:
//  - JPEG, PNG, BMP, WebP, PNM, TIFF through OpenCV's IMREAD_COLOR (grayscale, 16-bit, alpha and CMYK
//    inputs converted); a JPEG's EXIF orientation (1-8) is applied, so the result is upright;
//  - GIF through giflib (decode_gif): the first frame of an animated GIF.
// Never throws for bad content: every failure is a status with a detail (a JPEG or GIF cut short is
// kTruncated). Memory: the file is read only if its size <= max_file_bytes, decoded only if its header
// dimensions are within max_pixels.
DecodedImage decode_image_file(const std::filesystem::path& path, const DecodeLimits& limits);
DecodedImage decode_image_bytes(std::string_view bytes, const DecodeLimits& limits);

// Encodes `bgr` as JPEG (quality 0-100) or PNG (compression 0-9); throws IoError if OpenCV fails.
std::string encode_image(const cv::Mat& bgr, ImageFormat format, int jpeg_quality, int png_compression);
const char* image_extension(ImageFormat format);

}  // namespace fv
