// Bilinear resizing and normalisation into CHW float buffers.
#include "dataset/preprocess.h"

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace fv {

RgbImage resize_bilinear(const RgbImage& src, int width, int height) {
  FV_CHECK(width > 0 && height > 0 && src.width > 0 && src.height > 0, DataError, "cannot resize an empty image");
  if (src.width == width && src.height == height) return src;
  RgbImage dst;
  dst.width = width;
  dst.height = height;
  dst.pixels.resize(static_cast<std::size_t>(width) * height * 3);
  const float sx = static_cast<float>(src.width) / width, sy = static_cast<float>(src.height) / height;
  for (int y = 0; y < height; ++y) {
    const float fy = std::clamp((y + 0.5f) * sy - 0.5f, 0.f, static_cast<float>(src.height - 1));
    const int y0 = static_cast<int>(fy), y1 = std::min(y0 + 1, src.height - 1);
    const float wy = fy - y0;
    for (int x = 0; x < width; ++x) {
      const float fx = std::clamp((x + 0.5f) * sx - 0.5f, 0.f, static_cast<float>(src.width - 1));
      const int x0 = static_cast<int>(fx), x1 = std::min(x0 + 1, src.width - 1);
      const float wx = fx - x0;
      for (int c = 0; c < 3; ++c) {
        auto at = [&](int yy, int xx) { return static_cast<float>(src.pixels[(static_cast<std::size_t>(yy) * src.width + xx) * 3 + c]); };
        const float v = (1 - wy) * ((1 - wx) * at(y0, x0) + wx * at(y0, x1)) + wy * ((1 - wx) * at(y1, x0) + wx * at(y1, x1));
        dst.pixels[(static_cast<std::size_t>(y) * width + x) * 3 + c] = static_cast<std::uint8_t>(std::lround(v));
      }
    }
  }
  return dst;
}

void preprocess_into(const RgbImage& image, const PreprocessOptions& o, float* out, bool flip, int shift_x, int shift_y) {
  FV_CHECK(o.channels == 1 || o.channels == 3, ConfigError, "preprocess channels must be 1 or 3, got {}", o.channels);
  const RgbImage resized = resize_bilinear(image, o.width, o.height);
  const std::size_t plane = static_cast<std::size_t>(o.width) * o.height;
  for (int y = 0; y < o.height; ++y) {
    const int sy = y - shift_y;
    for (int x = 0; x < o.width; ++x) {
      int sx = x - shift_x;
      const bool inside = sy >= 0 && sy < o.height && sx >= 0 && sx < o.width;
      if (flip) sx = o.width - 1 - sx;
      const std::size_t at = static_cast<std::size_t>(y) * o.width + x;
      if (!inside) {
        for (int c = 0; c < o.channels; ++c) out[c * plane + at] = 0.f;  // zero after normalisation: the mean colour
        continue;
      }
      const std::uint8_t* p = &resized.pixels[(static_cast<std::size_t>(sy) * o.width + sx) * 3];
      if (o.channels == 3) {
        for (int c = 0; c < 3; ++c) out[c * plane + at] = (p[c] - o.mean[c]) / o.std[c];
      } else {
        const float grey = 0.299f * p[0] + 0.587f * p[1] + 0.114f * p[2];
        out[at] = (grey - o.mean[0]) / o.std[0];
      }
    }
  }
}

}  // namespace fv
