// Benchmark images: a photo crop or a synthetic picture, and a small libjpeg encoder.
#include "common/bench_images.h"

#include <jpeglib.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <random>

#include "core/check.h"
#include "core/error.h"

namespace fv::bench {
namespace {

const char* const kPhoto = "/usr/share/doc/opencv-doc/examples/data/messi5.jpg";

// The source picture, decoded once: the photo when present, else an empty image (use the synthetic one).
const RgbImage& photo() {
  static const RgbImage image = [] {
    std::error_code ec;
    return std::filesystem::exists(kPhoto, ec) ? read_image(kPhoto) : RgbImage{};
  }();
  return image;
}

std::uint8_t clamp_byte(double v) { return static_cast<std::uint8_t>(std::clamp(v, 0.0, 255.0)); }

// Smooth gradients, a few discs (face-like blobs) and pixel noise: roughly the entropy of a face crop.
RgbImage synthetic(int size) {
  RgbImage img;
  img.width = img.height = size;
  img.pixels.resize(static_cast<std::size_t>(size) * size * 3);
  std::mt19937 rng(12345);
  std::normal_distribution<double> noise(0.0, 6.0);
  const double c = size / 2.0;
  for (int y = 0; y < size; ++y) {
    for (int x = 0; x < size; ++x) {
      const double r = std::hypot(x - c, (y - c) * 0.8) / size;
      const double eyes = std::min(std::hypot(x - 0.35 * size, y - 0.4 * size), std::hypot(x - 0.65 * size, y - 0.4 * size));
      const double base = r < 0.38 ? 190 - 80 * r : 60 + 0.4 * y;
      const double shade = eyes < size * 0.06 ? -120 : 0;
      for (int ch = 0; ch < 3; ++ch) {
        const double tint = ch == 0 ? 1.0 : ch == 1 ? 0.8 : 0.65;
        img.pixels[(static_cast<std::size_t>(y) * size + x) * 3 + ch] =
            clamp_byte(base * tint + shade + 30 * std::sin(0.2 * x + ch) + noise(rng));
      }
    }
  }
  return img;
}

}  // namespace

std::string bench_image_origin() { return photo().pixels.empty() ? "synthetic" : "messi5.jpg crop"; }

RgbImage bench_image(int size, int variant) {
  FV_CHECK_GT(size, 0, ConfigError, "bench_image: size must be positive");
  RgbImage img;
  const RgbImage& src = photo();
  if (src.pixels.empty()) {
    img = synthetic(size);
  } else {  // the top-left size x size of the photo, tiled when the photo is smaller
    img.width = img.height = size;
    img.pixels.resize(static_cast<std::size_t>(size) * size * 3);
    for (int y = 0; y < size; ++y) {
      for (int x = 0; x < size; ++x) {
        for (int ch = 0; ch < 3; ++ch) {
          img.pixels[(static_cast<std::size_t>(y) * size + x) * 3 + ch] =
              src.pixels[((static_cast<std::size_t>(y % src.height)) * src.width + (x % src.width)) * 3 + ch];
        }
      }
    }
  }
  const int shift = 4 * (variant % 16) - 30;
  if (shift != 0) {
    for (auto& p : img.pixels) p = clamp_byte(p + shift);
  }
  return img;
}

std::string encode_jpeg(const RgbImage& image, int quality) {
  FV_CHECK(image.width > 0 && image.height > 0, ConfigError, "encode_jpeg: empty image");
  jpeg_compress_struct cinfo{};
  jpeg_error_mgr err{};
  cinfo.err = jpeg_std_error(&err);
  err.error_exit = [](j_common_ptr info) {
    char message[JMSG_LENGTH_MAX];
    (*info->err->format_message)(info, message);
    jpeg_destroy(info);
    throw FormatError(std::string("encode_jpeg: libjpeg: ") + message);
  };
  jpeg_create_compress(&cinfo);
  unsigned char* buffer = nullptr;
  unsigned long length = 0;
  jpeg_mem_dest(&cinfo, &buffer, &length);
  cinfo.image_width = static_cast<JDIMENSION>(image.width);
  cinfo.image_height = static_cast<JDIMENSION>(image.height);
  cinfo.input_components = 3;
  cinfo.in_color_space = JCS_RGB;
  jpeg_set_defaults(&cinfo);
  jpeg_set_quality(&cinfo, quality, TRUE);
  jpeg_start_compress(&cinfo, TRUE);
  while (cinfo.next_scanline < cinfo.image_height) {
    JSAMPROW row = const_cast<std::uint8_t*>(image.pixels.data()) +
                   static_cast<std::size_t>(cinfo.next_scanline) * image.width * 3;
    jpeg_write_scanlines(&cinfo, &row, 1);
  }
  jpeg_finish_compress(&cinfo);
  std::string out(reinterpret_cast<const char*>(buffer), length);
  jpeg_destroy_compress(&cinfo);
  std::free(buffer);
  return out;
}

}  // namespace fv::bench
