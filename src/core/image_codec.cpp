// JPEG decoding through libjpeg's API (libjpeg-turbo on Debian and Ubuntu) and PNG through libpng's
// simplified API. libjpeg reports errors by longjmp; they are turned into FormatError here.
#include "core/image_codec.h"

#include <csetjmp>
#include <cstdio>
#include <cstring>

// jpeglib.h needs size_t and FILE declared first.
#include <jpeglib.h>
#include <png.h>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"

namespace fv {
namespace {

struct JpegError {
  jpeg_error_mgr mgr;
  std::jmp_buf jump;
  char message[JMSG_LENGTH_MAX];
};

void on_jpeg_error(j_common_ptr cinfo) {
  auto* err = reinterpret_cast<JpegError*>(cinfo->err);
  (*cinfo->err->format_message)(cinfo, err->message);
  std::longjmp(err->jump, 1);
}

void on_jpeg_warning(j_common_ptr cinfo, int level) {
  // Corrupt-data warnings (level -1) make a truncated file decode into grey garbage: treat as errors.
  if (level < 0) on_jpeg_error(cinfo);
}

bool is_jpeg(const std::uint8_t* d, std::size_t n) { return n >= 3 && d[0] == 0xFF && d[1] == 0xD8 && d[2] == 0xFF; }
bool is_png(const std::uint8_t* d, std::size_t n) { return n >= 8 && png_sig_cmp(d, 0, 8) == 0; }

void check_size(std::string_view name, std::int64_t width, std::int64_t height, std::int64_t max_pixels) {
  if (width <= 0 || height <= 0) throw FormatError(fmt::format("'{}': image has no pixels ({}x{})", name, width, height));
  if (width * height > max_pixels) {
    throw DataError(fmt::format("'{}': image is {}x{} = {} pixels, over the limit of {}", name, width, height,
                                width * height, max_pixels));
  }
}

// Runs libjpeg over the whole decode (probe only when `out` is null). Returns the header dimensions.
ImageInfo run_jpeg(const std::uint8_t* data, std::size_t size, std::string_view name, std::int64_t max_pixels,
                   RgbImage* out) {
  jpeg_decompress_struct cinfo{};
  JpegError err{};
  cinfo.err = jpeg_std_error(&err.mgr);
  err.mgr.error_exit = on_jpeg_error;
  err.mgr.emit_message = on_jpeg_warning;
  ImageInfo info{ImageFormat::kJpeg, 0, 0};
  std::vector<std::uint8_t> cmyk_row;
  if (setjmp(err.jump)) {
    jpeg_destroy_decompress(&cinfo);
    throw FormatError(fmt::format("'{}': corrupt JPEG: {}", name, err.message));
  }
  jpeg_create_decompress(&cinfo);
  jpeg_mem_src(&cinfo, data, static_cast<unsigned long>(size));
  jpeg_read_header(&cinfo, TRUE);
  info.width = static_cast<int>(cinfo.image_width);
  info.height = static_cast<int>(cinfo.image_height);
  if (!out) {
    jpeg_destroy_decompress(&cinfo);
    return info;
  }
  const bool cmyk = cinfo.jpeg_color_space == JCS_CMYK || cinfo.jpeg_color_space == JCS_YCCK;
  cinfo.out_color_space = cmyk ? JCS_CMYK : JCS_RGB;
  jpeg_start_decompress(&cinfo);
  // check_size may throw a C++ exception: no longjmp can be pending here, so clean up first.
  const auto w = static_cast<std::int64_t>(cinfo.output_width), h = static_cast<std::int64_t>(cinfo.output_height);
  if (w <= 0 || h <= 0 || w * h > max_pixels) {
    jpeg_destroy_decompress(&cinfo);
    check_size(name, w, h, max_pixels);
  }
  out->width = static_cast<int>(w);
  out->height = static_cast<int>(h);
  out->pixels.resize(static_cast<std::size_t>(w * h * 3));
  if (cmyk) cmyk_row.resize(static_cast<std::size_t>(w * 4));
  while (cinfo.output_scanline < cinfo.output_height) {
    std::uint8_t* row = out->pixels.data() + static_cast<std::size_t>(cinfo.output_scanline) * w * 3;
    JSAMPROW rows[1] = {cmyk ? cmyk_row.data() : row};
    jpeg_read_scanlines(&cinfo, rows, 1);
    if (cmyk) {
      // Adobe writes inverted CMYK (as almost every CMYK JPEG in the wild): R = C * K / 255.
      for (std::int64_t x = 0; x < w; ++x) {
        const int c = cmyk_row[4 * x], m = cmyk_row[4 * x + 1], y = cmyk_row[4 * x + 2], k = cmyk_row[4 * x + 3];
        row[3 * x] = static_cast<std::uint8_t>(c * k / 255);
        row[3 * x + 1] = static_cast<std::uint8_t>(m * k / 255);
        row[3 * x + 2] = static_cast<std::uint8_t>(y * k / 255);
      }
    }
  }
  jpeg_finish_decompress(&cinfo);
  jpeg_destroy_decompress(&cinfo);
  return info;
}

ImageInfo run_png(const std::uint8_t* data, std::size_t size, std::string_view name, std::int64_t max_pixels,
                  RgbImage* out) {
  png_image image{};
  image.version = PNG_IMAGE_VERSION;
  if (!png_image_begin_read_from_memory(&image, data, size)) {
    const std::string message = image.message;
    png_image_free(&image);
    throw FormatError(fmt::format("'{}': corrupt PNG: {}", name, message));
  }
  ImageInfo info{ImageFormat::kPng, static_cast<int>(image.width), static_cast<int>(image.height)};
  if (!out) {
    png_image_free(&image);
    return info;
  }
  const std::int64_t w = image.width, h = image.height;
  if (w <= 0 || h <= 0 || w * h > max_pixels) {
    png_image_free(&image);
    check_size(name, w, h, max_pixels);
  }
  image.format = PNG_FORMAT_RGB;
  out->width = static_cast<int>(w);
  out->height = static_cast<int>(h);
  out->pixels.resize(static_cast<std::size_t>(w * h * 3));
  const png_color black{0, 0, 0};
  if (!png_image_finish_read(&image, &black, out->pixels.data(), 0, nullptr)) {
    const std::string message = image.message;
    png_image_free(&image);
    throw FormatError(fmt::format("'{}': corrupt PNG: {}", name, message));
  }
  return info;
}

}  // namespace

ImageInfo probe_image(const std::uint8_t* data, std::size_t size, std::string_view name) {
  if (is_jpeg(data, size)) return run_jpeg(data, size, name, 0, nullptr);
  if (is_png(data, size)) return run_png(data, size, name, 0, nullptr);
  throw FormatError(fmt::format("'{}': not a JPEG or PNG image ({} bytes)", name, size));
}

RgbImage decode_image(const std::uint8_t* data, std::size_t size, std::string_view name, std::int64_t max_pixels) {
  RgbImage image;
  if (is_jpeg(data, size)) {
    run_jpeg(data, size, name, max_pixels, &image);
  } else if (is_png(data, size)) {
    run_png(data, size, name, max_pixels, &image);
  } else {
    throw FormatError(fmt::format("'{}': not a JPEG or PNG image ({} bytes)", name, size));
  }
  return image;
}

RgbImage read_image(const std::filesystem::path& path, std::int64_t max_pixels) {
  const std::string bytes = read_file(path);
  return decode_image(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size(), path.string(), max_pixels);
}

}  // namespace fv
