// dlib 19.24's face-chip transform from 68 (or dlib's own 5) landmarks, in double precision.
#include "face/dlib_chip.h"

#include <cmath>
#include <vector>

#include "core/check.h"

namespace fv {

const std::array<Point2f, 51>& dlib_mean_face_17_67() {
  // dlib/image_transforms/interpolation.h (19.24), get_face_chip_details: mean_face_shape_x / _y.
  static const std::array<Point2f, 51> mean = [] {
    const double xs[51] = {0.000213256, 0.0752622, 0.18113, 0.29077, 0.393397, 0.586856, 0.689483, 0.799124,
                           0.904991, 0.98004, 0.490127, 0.490127, 0.490127, 0.490127, 0.36688, 0.426036,
                           0.490127, 0.554217, 0.613373, 0.121737, 0.187122, 0.265825, 0.334606, 0.260918,
                           0.182743, 0.645647, 0.714428, 0.793132, 0.858516, 0.79751, 0.719335, 0.254149,
                           0.340985, 0.428858, 0.490127, 0.551395, 0.639268, 0.726104, 0.642159, 0.556721,
                           0.490127, 0.423532, 0.338094, 0.290379, 0.428096, 0.490127, 0.552157, 0.689874,
                           0.553364, 0.490127, 0.42689};
    const double ys[51] = {0.106454, 0.038915, 0.0187482, 0.0344891, 0.0773906, 0.0773906, 0.0344891,
                           0.0187482, 0.038915, 0.106454, 0.203352, 0.307009, 0.409805, 0.515625, 0.587326,
                           0.609345, 0.628106, 0.609345, 0.587326, 0.216423, 0.178758, 0.179852, 0.231733,
                           0.245099, 0.244077, 0.231733, 0.179852, 0.178758, 0.216423, 0.244077, 0.245099,
                           0.780233, 0.745405, 0.727388, 0.742578, 0.727388, 0.745405, 0.780233, 0.864805,
                           0.902192, 0.909281, 0.902192, 0.864805, 0.784792, 0.778746, 0.785343, 0.778746,
                           0.784792, 0.824182, 0.831803, 0.824182};
    std::array<Point2f, 51> m{};
    for (int i = 0; i < 51; ++i) m[i] = {static_cast<float>(xs[i]), static_cast<float>(ys[i])};
    return m;
  }();
  return mean;
}

namespace {

// chip_details(chip_points, img_points, dims) followed by the corner mapping of extract_image_chips, for a
// size x size chip; returns image -> chip. Computed in double; `chip` are unpadded [0, 1] coordinates.
Similarity dlib_chip_from_fit(const std::vector<std::array<double, 2>>& chip, const std::vector<Point2f>& image,
                              int size, double padding) {
  FV_CHECK(size >= 2, ConfigError, "dlib chip size must be at least 2 (got {})", size);
  FV_CHECK(padding >= 0, ConfigError, "dlib chip padding must not be negative (got {})", padding);
  // Least-squares similarity chip -> image (dlib's find_similarity_transform), in double.
  const size_t n = chip.size();
  double mcx = 0, mcy = 0, mix = 0, miy = 0;
  std::vector<std::array<double, 2>> from(n);
  for (size_t i = 0; i < n; ++i) {
    from[i] = {(padding + chip[i][0]) / (2 * padding + 1) * size, (padding + chip[i][1]) / (2 * padding + 1) * size};
    mcx += from[i][0] / n, mcy += from[i][1] / n, mix += image[i].x / static_cast<double>(n),
        miy += image[i].y / static_cast<double>(n);
  }
  double sxx = 0, dot = 0, cross = 0;
  for (size_t i = 0; i < n; ++i) {
    const double fx = from[i][0] - mcx, fy = from[i][1] - mcy, tx = image[i].x - mix, ty = image[i].y - miy;
    sxx += fx * fx + fy * fy;
    dot += fx * tx + fy * ty;
    cross += fx * ty - fy * tx;
  }
  FV_CHECK(sxx > 0, DataError, "dlib chip: degenerate point set");
  const double a = dot / sxx, b = cross / sxx;
  FV_CHECK(a != 0 || b != 0, DataError, "dlib chip: the landmarks are all at one point");
  const double angle = std::atan2(b, a), scale = std::hypot(a, b);
  // Image position of the chip centre, T(size/2, size/2).
  const double half = size / 2.0;  // dlib: point(cols, rows) / 2.0
  const double cx = a * (half - mcx) - b * (half - mcy) + mix, cy = b * (half - mcx) + a * (half - mcy) + miy;
  // centered_drect(c, size*scale, size*scale): side size*scale - 1. Chip pixel (0, 0) -> the rotated top-left
  // corner, (size-1, 0) -> the rotated top-right corner.
  const double side = size * scale - 1, s = side / (size - 1);
  const double c = std::cos(angle), sn = std::sin(angle);
  Similarity chip_to_image;
  chip_to_image.a = s * c;
  chip_to_image.b = s * sn;
  chip_to_image.tx = c * (-side / 2) - sn * (-side / 2) + cx;
  chip_to_image.ty = sn * (-side / 2) + c * (-side / 2) + cy;
  return chip_to_image.inverse();
}

}  // namespace

Similarity dlib_chip_transform(const Landmarks68& points, int size, double padding) {
  const auto& mean = dlib_mean_face_17_67();
  std::vector<std::array<double, 2>> chip;
  std::vector<Point2f> image;
  for (int i = 17; i < 68; ++i) {
    if ((55 <= i && i <= 59) || (65 <= i && i <= 67) || i <= 26) continue;  // lower lip, eyebrows (as dlib)
    chip.push_back({mean[i - 17].x, mean[i - 17].y});
    image.push_back(points[i]);
  }
  return dlib_chip_from_fit(chip, image, size, padding);
}

Similarity dlib_chip_transform_dlib5(const Landmarks5& points, int size, double padding) {
  // get_face_chip_details, 5-point branch.
  const std::vector<std::array<double, 2>> chip = {{0.8595674595992, 0.2134981538014},
                                                   {0.6460604764104, 0.2289674387677},
                                                   {0.1205750620789, 0.2137274526848},
                                                   {0.3340850613712, 0.2290642403242},
                                                   {0.4901123135679, 0.6277975316475}};
  return dlib_chip_from_fit(chip, std::vector<Point2f>(points.begin(), points.end()), size, padding);
}

}  // namespace fv
