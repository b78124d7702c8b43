// Least-squares 2-D similarity transforms (rotation, uniform scale, translation) between point sets.
#pragma once

#include <array>
#include <vector>

#include "core/landmarks.h"

namespace fv {

// x' = a*x - b*y + tx,  y' = b*x + a*y + ty   (scale sqrt(a^2+b^2), rotation atan2(b, a)).
struct Similarity {
  double a = 1, b = 0, tx = 0, ty = 0;
  Point2f apply(Point2f p) const;
  // Row-major 2x3 matrix [a -b tx; b a ty], the layout cv::warpAffine takes.
  std::array<double, 6> matrix() const { return {a, -b, tx, b, a, ty}; }
  Similarity inverse() const;
  double scale() const;
};

// The similarity minimising sum_i |T(src_i) - dst_i|^2: Umeyama (1991) restricted to 2-D, where the
// rotation-and-scale matrix [a -b; b a] makes the problem linear, so the closed form is
//   a = sum(s_i . d_i) / sum|s_i|^2,  b = sum(s_i x d_i) / sum|s_i|^2   on centred points,
// identical to Umeyama's SVD solution with the reflection correction (no reflections are ever returned).
// With `weights` (one per point, >= 0; empty = all 1) it minimises sum_i w_i |T(src_i) - dst_i|^2: the
// same closed form with weighted means and sums.
// Requires: src.size() == dst.size() >= 2, the src points (with weight > 0) not all equal, weights empty or
// of the same size with a positive sum; throws DataError otherwise.
Similarity fit_similarity(const std::vector<Point2f>& src, const std::vector<Point2f>& dst,
                          const std::vector<double>& weights = {});
Similarity fit_similarity(const Landmarks5& src, const Landmarks5& dst, const std::vector<double>& weights = {});

}  // namespace fv
