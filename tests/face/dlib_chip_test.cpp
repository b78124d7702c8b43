// dlib_chip_transform against dlib itself: get_mapping_to_chip(get_face_chip_details(...)) and extract_image_chip.
#include <gtest/gtest.h>

#include <dlib/image_processing/full_object_detection.h>
#include <dlib/image_transforms/interpolation.h>
#include <dlib/opencv/cv_image.h>

#include <opencv2/imgcodecs.hpp>
#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

#include "face/dlib_chip.h"
#include "face/face_template.h"

namespace fv {
namespace {

// A 68-point shape: dlib's mean face (jaw points 0-16 on a fixed arc) scaled by `scale`, rotated by
// `angle`, moved to (x0, y0), plus uniform noise of +-`noise` pixels (fixed seed).
Landmarks68 synthetic_shape(double scale, double angle, double x0, double y0, double noise, unsigned seed) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<double> u(-noise, noise);
  Landmarks68 p{};
  const auto& mean = dlib_mean_face_17_67();
  for (int i = 0; i < 68; ++i) {
    const double mx = i < 17 ? 0.5 + 0.5 * std::cos(M_PI * (1 - i / 16.0)) : mean[i - 17].x;
    const double my = i < 17 ? 0.3 + 0.7 * std::sin(M_PI * i / 16.0) : mean[i - 17].y;
    const double x = scale * (std::cos(angle) * mx - std::sin(angle) * my) + x0 + u(rng);
    const double y = scale * (std::sin(angle) * mx + std::cos(angle) * my) + y0 + u(rng);
    p[i] = {static_cast<float>(x), static_cast<float>(y)};
  }
  return p;
}

dlib::full_object_detection to_dlib(const Point2f* points, int n) {
  std::vector<dlib::point> parts;
  for (int i = 0; i < n; ++i) parts.emplace_back(std::lround(points[i].x), std::lround(points[i].y));
  return dlib::full_object_detection(dlib::rectangle(0, 0, 100, 100), parts);
}

// Rounds to integers as dlib's full_object_detection stores them (dlib::point is integral).
template <size_t N>
std::array<Point2f, N> rounded(const std::array<Point2f, N>& p) {
  std::array<Point2f, N> r{};
  for (size_t i = 0; i < N; ++i) r[i] = {std::round(p[i].x), std::round(p[i].y)};
  return r;
}

void expect_same_mapping(const dlib::point_transform_affine& dlib_map, const Similarity& ours, const std::string& what) {
  const auto m = ours.matrix();
  EXPECT_NEAR(dlib_map.get_m()(0, 0), m[0], 1e-6) << what;
  EXPECT_NEAR(dlib_map.get_m()(0, 1), m[1], 1e-6) << what;
  EXPECT_NEAR(dlib_map.get_m()(1, 0), m[3], 1e-6) << what;
  EXPECT_NEAR(dlib_map.get_m()(1, 1), m[4], 1e-6) << what;
  EXPECT_NEAR(dlib_map.get_b()(0), m[2], 1e-3) << what;
  EXPECT_NEAR(dlib_map.get_b()(1), m[5], 1e-3) << what;
}

TEST(DlibChip, SixtyEightPointTransformEqualsDlibs) {
  struct Case {
    double scale, angle, x0, y0;
    int size;
    double padding;
  };
  const Case cases[] = {{120, 0.0, 200, 150, 150, 0.25}, {80, 0.3, 50, 60, 150, 0.25}, {300, -0.5, 400, 100, 150, 0.25},
                        {120, 0.1, 200, 150, 200, 0.2}, {60, 1.2, 100, 40, 151, 0.4}};
  unsigned seed = 1;
  for (const auto& c : cases) {
    const Landmarks68 shape = rounded(synthetic_shape(c.scale, c.angle, c.x0, c.y0, 2.0, seed++));
    const auto details = dlib::get_face_chip_details(to_dlib(shape.data(), 68), c.size, c.padding);
    expect_same_mapping(dlib::get_mapping_to_chip(details), dlib_chip_transform(shape, c.size, c.padding),
                        "scale " + std::to_string(c.scale) + " size " + std::to_string(c.size));
  }
}

TEST(DlibChip, FivePointTransformEqualsDlibs) {
  const Landmarks68 shape = rounded(synthetic_shape(140, 0.2, 120, 90, 1.0, 7));
  // dlib's 5-point order from the 68 points: eye corners 45, 42, 36, 39, nose base 33.
  const Landmarks5 five = {shape[45], shape[42], shape[36], shape[39], shape[33]};
  const auto details = dlib::get_face_chip_details(to_dlib(five.data(), 5), 150, 0.25);
  expect_same_mapping(dlib::get_mapping_to_chip(details), dlib_chip_transform_dlib5(five), "5 points");
}

TEST(DlibChip, ChipImageMatchesDlibExtractImageChip) {
  const std::string path = "/usr/lib/python3/dist-packages/skimage/data/astronaut.png";
  const cv::Mat bgr = cv::imread(path, cv::IMREAD_COLOR);
  if (bgr.empty()) GTEST_SKIP() << path << " is absent (Debian package python3-skimage)";
  // A face of ~180 px: below the size at which dlib smooths with its image pyramid, so both sample bilinearly.
  const Landmarks68 shape = rounded(synthetic_shape(180, 0.15, 170, 60, 1.0, 3));
  dlib::cv_image<dlib::bgr_pixel> image(bgr);
  dlib::matrix<dlib::bgr_pixel> theirs;
  dlib::extract_image_chip(image, dlib::get_face_chip_details(to_dlib(shape.data(), 68), 150, 0.25), theirs);
  const auto m = dlib_chip_transform(shape).matrix();
  cv::Mat ours;
  const cv::Mat matrix = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
  cv::warpAffine(bgr, ours, matrix, cv::Size(150, 150),
                 cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  ASSERT_EQ(theirs.nr(), 150);
  double sum = 0;
  int worst = 0;
  for (int y = 0; y < 150; ++y) {
    for (int x = 0; x < 150; ++x) {
      const auto& t = theirs(y, x);
      const cv::Vec3b o = ours.at<cv::Vec3b>(y, x);
      for (int d : {std::abs(t.blue - o[0]), std::abs(t.green - o[1]), std::abs(t.red - o[2])}) {
        sum += d;
        worst = std::max(worst, d);
      }
    }
  }
  const double mean = sum / (150.0 * 150 * 3);
  // OpenCV quantises bilinear weights to 1/32 pixel; dlib interpolates in float: differences of a few levels.
  EXPECT_LT(mean, 0.75);
  EXPECT_LE(worst, 8);
  std::cout << "mean |dlib - ours| = " << mean << " levels, max " << worst << "\n";
}

TEST(DlibChip, FivePointTemplateApproximatesDlibsGeometry) {
  // The 5-point dlib_chip template (for pipelines that keep only 5 points) against the exact 68-point
  // geometry: chip corners land within a few pixels.
  const FaceTemplate t = builtin_template(TemplateKind::kDlibChip);
  for (unsigned seed : {11u, 12u, 13u}) {
    const Landmarks68 shape = synthetic_shape(150, 0.1 * seed - 1.2, 100, 80, 1.5, seed);
    const Similarity exact = dlib_chip_transform(shape);
    const Similarity approx = fit_similarity(five_from_68(shape), t.points);
    double worst = 0;
    for (Point2f corner : {Point2f{0, 0}, Point2f{149, 0}, Point2f{0, 149}, Point2f{149, 149}}) {
      const Point2f a = exact.inverse().apply(corner), b = approx.inverse().apply(corner);
      // compare where each chip corner comes from in the image, in chip pixels (divide by the image scale)
      worst = std::max(worst, std::hypot(a.x - b.x, a.y - b.y) * exact.scale());
    }
    EXPECT_LT(worst, 6.0) << "seed " << seed;
    std::cout << "seed " << seed << ": 5-point template vs dlib geometry, worst chip corner " << worst << " px\n";
  }
}

}  // namespace
}  // namespace fv
