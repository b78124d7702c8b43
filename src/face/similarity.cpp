// Closed-form least-squares similarity (Umeyama) between 2-D point sets.
#include "face/similarity.h"

#include <cmath>

#include "core/check.h"

namespace fv {

Point2f Similarity::apply(Point2f p) const {
  return {static_cast<float>(a * p.x - b * p.y + tx), static_cast<float>(b * p.x + a * p.y + ty)};
}

double Similarity::scale() const { return std::sqrt(a * a + b * b); }

Similarity Similarity::inverse() const {
  const double d = a * a + b * b;
  Similarity r;
  r.a = a / d;
  r.b = -b / d;
  r.tx = -(r.a * tx - r.b * ty);
  r.ty = -(r.b * tx + r.a * ty);
  return r;
}

Similarity fit_similarity(const std::vector<Point2f>& src, const std::vector<Point2f>& dst,
                          const std::vector<double>& weights) {
  FV_CHECK_EQ(src.size(), dst.size(), DataError, "fit_similarity needs as many source as target points");
  FV_CHECK_GE(src.size(), std::size_t(2), DataError, "fit_similarity needs at least two points");
  FV_CHECK(weights.empty() || weights.size() == src.size(), DataError, "fit_similarity: {} weights for {} points",
           weights.size(), src.size());
  auto w = [&](std::size_t i) { return weights.empty() ? 1.0 : weights[i]; };
  double n = 0;
  for (std::size_t i = 0; i < src.size(); ++i) {
    FV_CHECK(w(i) >= 0 && std::isfinite(w(i)), DataError, "fit_similarity: weight {} is {}", i, w(i));
    n += w(i);
  }
  FV_CHECK(n > 0, DataError, "fit_similarity: the weights sum to 0");
  double msx = 0, msy = 0, mdx = 0, mdy = 0;
  for (std::size_t i = 0; i < src.size(); ++i) {
    msx += w(i) * src[i].x / n;
    msy += w(i) * src[i].y / n;
    mdx += w(i) * dst[i].x / n;
    mdy += w(i) * dst[i].y / n;
  }
  double ss = 0, dot = 0, cross = 0;
  for (std::size_t i = 0; i < src.size(); ++i) {
    const double sx = src[i].x - msx, sy = src[i].y - msy;
    const double dx = dst[i].x - mdx, dy = dst[i].y - mdy;
    ss += w(i) * (sx * sx + sy * sy);
    dot += w(i) * (sx * dx + sy * dy);
    cross += w(i) * (sx * dy - sy * dx);
  }
  FV_CHECK(ss > 1e-12 && std::isfinite(ss), DataError, "fit_similarity: the source points all coincide (or are not finite)");
  Similarity t;
  t.a = dot / ss;
  t.b = cross / ss;
  t.tx = mdx - (t.a * msx - t.b * msy);
  t.ty = mdy - (t.b * msx + t.a * msy);
  return t;
}

Similarity fit_similarity(const Landmarks5& src, const Landmarks5& dst, const std::vector<double>& weights) {
  return fit_similarity(std::vector<Point2f>(src.begin(), src.end()), std::vector<Point2f>(dst.begin(), dst.end()),
                        weights);
}

}  // namespace fv
