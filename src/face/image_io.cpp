// Header probing, bounded decoding (OpenCV; GIF through giflib) and encoding of images.
#include "face/image_io.h"

#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cctype>
#include <cstring>
#include <fstream>
#include <system_error>
#include <vector>

#include "core/error.h"
#include "face/gif_decoder.h"

namespace fv {
namespace {

std::uint32_t be16(const unsigned char* p) { return std::uint32_t(p[0]) << 8 | p[1]; }
std::uint32_t be32(const unsigned char* p) { return be16(p) << 16 | be16(p + 2); }
std::uint32_t le16(const unsigned char* p) { return std::uint32_t(p[1]) << 8 | p[0]; }
std::uint32_t le32(const unsigned char* p) { return le16(p + 2) << 16 | le16(p); }

// True when the JPEG's marker structure reaches an end-of-image marker: segments are skipped by their
// length, entropy-coded data byte by byte (inside it FF is followed only by 00 stuffing, FF fill or RSTn),
// through every scan of a progressive file. Data appended after EOI (phone trailers) does not matter;
// a file cut short never reaches EOI, where libjpeg would silently grey out the missing rows.
bool jpeg_reaches_eoi(const unsigned char* p, std::size_t n) {
  std::size_t i = 2;
  while (i + 1 < n) {
    if (p[i] != 0xff) return false;
    const unsigned char m = p[i + 1];
    if (m == 0xd9) return true;
    if (m == 0xff) {
      ++i;
      continue;
    }
    if (m == 0x01 || (m >= 0xd0 && m <= 0xd7)) {
      i += 2;
      continue;
    }
    if (i + 4 > n) return false;
    i += 2 + be16(p + i + 2);
    if (m != 0xda) continue;
    // Entropy-coded data of a scan: find the next real marker.
    while (i + 1 < n) {
      if (p[i] == 0xff && p[i + 1] != 0x00 && p[i + 1] != 0xff && !(p[i + 1] >= 0xd0 && p[i + 1] <= 0xd7)) break;
      i += (p[i] == 0xff) ? 2 : 1;
    }
  }
  return false;
}

void probe_jpeg(const unsigned char* p, std::size_t n, ImageHeader* h) {
  h->format = "jpeg";
  h->truncated = !jpeg_reaches_eoi(p, n);
  std::size_t i = 2;
  while (i + 4 <= n) {
    if (p[i] != 0xff) return;
    const unsigned char m = p[i + 1];
    if (m == 0xff) {
      ++i;
      continue;
    }
    if (m == 0xd8 || (m >= 0xd0 && m <= 0xd7) || m == 0x01) {
      i += 2;
      continue;
    }
    const std::size_t len = be16(p + i + 2);
    const bool sof = m >= 0xc0 && m <= 0xcf && m != 0xc4 && m != 0xc8 && m != 0xcc;
    if (sof && i + 9 <= n) {
      h->height = be16(p + i + 5);
      h->width = be16(p + i + 7);
      h->known = true;
      return;
    }
    if (m == 0xda || len < 2) return;
    i += 2 + len;
  }
}

bool pnm_token(const unsigned char* p, std::size_t n, std::size_t* i, std::int64_t* value) {
  while (*i < n) {
    if (p[*i] == '#') {
      while (*i < n && p[*i] != '\n') ++*i;
    } else if (std::isspace(p[*i])) {
      ++*i;
    } else {
      break;
    }
  }
  if (*i >= n || !std::isdigit(p[*i])) return false;
  *value = 0;
  while (*i < n && std::isdigit(p[*i]) && *value < (1ll << 40)) *value = *value * 10 + (p[(*i)++] - '0');
  return true;
}

}  // namespace

ImageHeader probe_image_header(std::string_view bytes) {
  ImageHeader h;
  const auto* p = reinterpret_cast<const unsigned char*>(bytes.data());
  const std::size_t n = bytes.size();
  if (n >= 3 && p[0] == 0xff && p[1] == 0xd8 && p[2] == 0xff) {
    probe_jpeg(p, n, &h);
  } else if (n >= 24 && std::memcmp(p, "\x89PNG\r\n\x1a\n", 8) == 0 && std::memcmp(p + 12, "IHDR", 4) == 0) {
    h = {true, "png", be32(p + 16), be32(p + 20), false};
  } else if (n >= 26 && p[0] == 'B' && p[1] == 'M') {
    const std::int32_t height = static_cast<std::int32_t>(le32(p + 22));
    h = {true, "bmp", static_cast<std::int32_t>(le32(p + 18)), height < 0 ? -std::int64_t(height) : height, false};
  } else if (n >= 10 && (std::memcmp(p, "GIF87a", 6) == 0 || std::memcmp(p, "GIF89a", 6) == 0)) {
    h = {true, "gif", le16(p + 6), le16(p + 8), false};
  } else if (n >= 30 && std::memcmp(p, "RIFF", 4) == 0 && std::memcmp(p + 8, "WEBP", 4) == 0) {
    h.format = "webp";
    if (std::memcmp(p + 12, "VP8 ", 4) == 0) {
      h.known = true;
      h.width = le16(p + 26) & 0x3fff;
      h.height = le16(p + 28) & 0x3fff;
    } else if (std::memcmp(p + 12, "VP8L", 4) == 0) {
      const std::uint32_t b = le32(p + 21);
      h.known = true;
      h.width = (b & 0x3fff) + 1;
      h.height = ((b >> 14) & 0x3fff) + 1;
    } else if (std::memcmp(p + 12, "VP8X", 4) == 0) {
      h.known = true;
      h.width = (le32(p + 24) & 0xffffff) + 1;
      h.height = (le32(p + 27) & 0xffffff) + 1;
    }
  } else if (n >= 3 && p[0] == 'P' && p[1] >= '1' && p[1] <= '6') {
    std::size_t i = 2;
    h.format = "pnm";
    h.known = pnm_token(p, n, &i, &h.width) && pnm_token(p, n, &i, &h.height);
  }
  return h;
}

DecodedImage decode_image_bytes(std::string_view bytes, const DecodeLimits& limits) {
  DecodedImage out;
  if (bytes.empty()) {
    out.detail = "empty file";
    return out;
  }
  const ImageHeader header = probe_image_header(bytes);
  if (header.known) {
    if (header.width <= 0 || header.height <= 0) {
      out.detail = fmt::format("{} header says {}x{}", header.format, header.width, header.height);
      return out;
    }
    if (header.width * header.height > limits.max_pixels) {
      out.status = DecodeStatus::kTooLarge;
      out.detail = fmt::format("{}x{} {} exceeds input.max_pixels={}", header.width, header.height, header.format,
                               limits.max_pixels);
      return out;
    }
  }
  if (header.truncated) {
    out.status = DecodeStatus::kTruncated;
    out.detail = "JPEG data ends before its end-of-image marker";
    return out;
  }
  cv::Mat img;
  if (header.format == "gif") {
    // OpenCV 4.6 has no GIF reader; giflib decodes the first frame.
    DecodedImage gif = decode_gif(bytes, limits);
    if (gif.status != DecodeStatus::kOk) return gif;
    img = gif.bgr;
  } else {
    try {
      // IMREAD_COLOR applies the EXIF orientation of JPEGs (OpenCV's ApplyExifOrientation, in imdecode too).
      const cv::Mat buffer(1, static_cast<int>(bytes.size()), CV_8UC1, const_cast<char*>(bytes.data()));
      img = cv::imdecode(buffer, cv::IMREAD_COLOR);
    } catch (const cv::Exception& e) {
      out.detail = fmt::format("OpenCV cannot decode it: {}", e.what());
      return out;
    }
  }
  if (img.empty()) {
    out.detail = header.format.empty() ? "not a recognised image format" : header.format + " data cannot be decoded";
    return out;
  }
  if (img.depth() != CV_8U) {
    cv::Mat converted;
    img.convertTo(converted, CV_8U, img.depth() == CV_16U ? 1.0 / 257.0 : 1.0);
    img = converted;
  }
  if (img.channels() == 1) cv::cvtColor(img, img, cv::COLOR_GRAY2BGR);
  if (img.channels() == 4) cv::cvtColor(img, img, cv::COLOR_BGRA2BGR);
  if (static_cast<std::int64_t>(img.cols) * img.rows > limits.max_pixels) {
    out.status = DecodeStatus::kTooLarge;
    out.detail = fmt::format("{}x{} exceeds input.max_pixels={}", img.cols, img.rows, limits.max_pixels);
    return out;
  }
  if (std::min(img.cols, img.rows) < limits.min_size) {
    out.status = DecodeStatus::kTooSmall;
    out.detail = fmt::format("{}x{} is below input.min_size={}", img.cols, img.rows, limits.min_size);
    return out;
  }
  out.status = DecodeStatus::kOk;
  out.bgr = img;
  return out;
}

DecodedImage decode_image_file(const std::filesystem::path& path, const DecodeLimits& limits) {
  DecodedImage out;
  std::error_code ec;
  const auto size = std::filesystem::file_size(path, ec);
  if (ec) {
    out.status = DecodeStatus::kMissing;
    out.detail = ec.message();
    return out;
  }
  if (static_cast<std::int64_t>(size) > limits.max_file_bytes) {
    out.status = DecodeStatus::kTooLarge;
    out.detail = fmt::format("{} bytes exceeds input.max_file_bytes={}", size, limits.max_file_bytes);
    return out;
  }
  std::string bytes(size, '\0');
  std::ifstream in(path, std::ios::binary);
  if (!in.read(bytes.data(), static_cast<std::streamsize>(size))) {
    out.status = DecodeStatus::kMissing;
    out.detail = "cannot read the file";
    return out;
  }
  return decode_image_bytes(bytes, limits);
}

std::string encode_image(const cv::Mat& bgr, ImageFormat format, int jpeg_quality, int png_compression) {
  std::vector<unsigned char> buffer;
  std::vector<int> params;
  if (format == ImageFormat::kJpeg) {
    params = {cv::IMWRITE_JPEG_QUALITY, jpeg_quality};
  } else {
    params = {cv::IMWRITE_PNG_COMPRESSION, png_compression};
  }
  if (!cv::imencode(image_extension(format), bgr, buffer, params)) {
    throw IoError(fmt::format("OpenCV could not encode a {}x{} image as {}", bgr.cols, bgr.rows,
                              image_extension(format)));
  }
  return std::string(buffer.begin(), buffer.end());
}

const char* image_extension(ImageFormat format) { return format == ImageFormat::kJpeg ? ".jpg" : ".png"; }

}  // namespace fv
