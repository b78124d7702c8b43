// Tests for the Umeyama similarity fit and the warp to a template.
#include "face/similarity.h"

#include <gtest/gtest.h>

#include <opencv2/imgproc.hpp>

#include <cmath>
#include <random>

#include "face/face_template.h"
#include "face/warp.h"
#include "core/error.h"

namespace fv {
namespace {

TEST(Similarity, RecoversKnownTransformExactly) {
  std::mt19937 rng(7);
  std::uniform_real_distribution<float> u(-100.f, 100.f);
  for (int trial = 0; trial < 20; ++trial) {
    Similarity truth;
    const double scale = 0.3 + trial * 0.17, angle = -2.5 + trial * 0.27;
    truth.a = scale * std::cos(angle);
    truth.b = scale * std::sin(angle);
    truth.tx = u(rng);
    truth.ty = u(rng);
    std::vector<Point2f> src, dst;
    for (int i = 0; i < 5; ++i) {
      src.push_back({u(rng), u(rng)});
      dst.push_back(truth.apply(src.back()));
    }
    const Similarity fit = fit_similarity(src, dst);
    EXPECT_NEAR(fit.a, truth.a, 1e-5);
    EXPECT_NEAR(fit.b, truth.b, 1e-5);
    EXPECT_NEAR(fit.tx, truth.tx, 1e-3);
    EXPECT_NEAR(fit.ty, truth.ty, 1e-3);
    EXPECT_NEAR(fit.scale(), scale, 1e-5);
  }
}

TEST(Similarity, LeastSquaresMatchesBruteForceOnNoisyPoints) {
  // With noise the fit must be the least-squares optimum: no small perturbation of (a, b, tx, ty) is better.
  std::mt19937 rng(3);
  std::normal_distribution<float> noise(0.f, 2.f);
  const FaceTemplate t = builtin_template(TemplateKind::kArcface);
  std::vector<Point2f> src, dst(t.points.begin(), t.points.end());
  for (const auto& p : t.points) src.push_back({p.x * 2.1f + 40 + noise(rng), p.y * 2.1f - 13 + noise(rng)});
  const Similarity fit = fit_similarity(src, dst);
  auto cost = [&](const Similarity& s) {
    double c = 0;
    for (std::size_t i = 0; i < src.size(); ++i) {
      const Point2f q = s.apply(src[i]);
      c += (q.x - dst[i].x) * (q.x - dst[i].x) + (q.y - dst[i].y) * (q.y - dst[i].y);
    }
    return c;
  };
  const double best = cost(fit);
  for (int k = 0; k < 4; ++k) {
    // Steps big enough to show in float arithmetic: the cost rises by d^2 * sum|s|^2 (a, b) or 5 d^2 (tx, ty).
    const double step = k < 2 ? 1e-3 : 5e-2;
    for (double d : {-step, step}) {
      Similarity s = fit;
      (k == 0 ? s.a : k == 1 ? s.b : k == 2 ? s.tx : s.ty) += d;
      EXPECT_GT(cost(s), best);
    }
  }
}

TEST(Similarity, NeverReflects) {
  // Mirrored target: the optimum over proper similarities, computed by hand on the centred points:
  // sum|s|^2 = 750/9, sum(s.d) = -50, sum(s x d) = -300/9  =>  a = -0.6, b = -0.4 (no reflection).
  const std::vector<Point2f> src{{0, 0}, {10, 0}, {0, 5}};
  const std::vector<Point2f> dst{{0, 0}, {-10, 0}, {0, 5}};
  const Similarity fit = fit_similarity(src, dst);
  EXPECT_NEAR(fit.a, -0.6, 1e-6);
  EXPECT_NEAR(fit.b, -0.4, 1e-6);
  EXPECT_THROW(fit_similarity(std::vector<Point2f>{{1, 1}, {1, 1}}, std::vector<Point2f>{{0, 0}, {1, 1}}), DataError);
  EXPECT_THROW(fit_similarity(std::vector<Point2f>{{1, 1}}, std::vector<Point2f>{{0, 0}}), DataError);
}

TEST(Similarity, InverseComposesToIdentity) {
  Similarity s;
  s.a = 1.3;
  s.b = -0.4;
  s.tx = 12;
  s.ty = -7;
  const Point2f p{33.f, -8.f};
  const Point2f q = s.inverse().apply(s.apply(p));
  EXPECT_NEAR(q.x, p.x, 1e-4);
  EXPECT_NEAR(q.y, p.y, 1e-4);
}

// Centroid of the pixels brighter than 128 in a window around `near`.
Point2f blob_centroid(const cv::Mat& grey, Point2f near, int radius) {
  double sx = 0, sy = 0, n = 0;
  for (int y = std::max(0, int(near.y) - radius); y <= std::min(grey.rows - 1, int(near.y) + radius); ++y) {
    for (int x = std::max(0, int(near.x) - radius); x <= std::min(grey.cols - 1, int(near.x) + radius); ++x) {
      const double v = grey.at<unsigned char>(y, x);
      if (v > 128) {
        sx += x * v;
        sy += y * v;
        n += v;
      }
    }
  }
  return {static_cast<float>(sx / n), static_cast<float>(sy / n)};
}

TEST(Similarity, WarpFromGivenLandmarksPutsEyesWithinOnePixel) {
  // A synthetic image with white discs at known (rotated, scaled, shifted) eye positions; after warping
  // with those landmarks the disc centres must land on the template's eyes within 1 px.
  for (const auto kind : {TemplateKind::kArcface, TemplateKind::kSphereface, TemplateKind::kDlibChip}) {
    const FaceTemplate t = builtin_template(kind);
    Similarity place;
    place.a = 2.4 * std::cos(0.35);
    place.b = 2.4 * std::sin(0.35);
    place.tx = 90;
    place.ty = 40;
    Landmarks5 given;
    for (int i = 0; i < 5; ++i) given[i] = place.apply(t.points[i]);
    cv::Mat img(480, 520, CV_8UC3, cv::Scalar::all(0));
    for (int i = 0; i < 2; ++i) {
      cv::circle(img, cv::Point2f(given[i].x, given[i].y) * 16, 6 * 16, cv::Scalar::all(255), cv::FILLED, cv::LINE_AA, 4);
    }
    const cv::Mat out = warp_to_template(img, given, t);
    ASSERT_EQ(out.cols, t.width);
    ASSERT_EQ(out.rows, t.height);
    cv::Mat grey;
    cv::cvtColor(out, grey, cv::COLOR_BGR2GRAY);
    for (int i = 0; i < 2; ++i) {
      const Point2f c = blob_centroid(grey, t.points[i], 6);
      EXPECT_NEAR(c.x, t.points[i].x, 1.0) << "template " << int(kind) << " eye " << i;
      EXPECT_NEAR(c.y, t.points[i].y, 1.0) << "template " << int(kind) << " eye " << i;
    }
  }
}

}  // namespace
}  // namespace fv
