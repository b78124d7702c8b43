// Exact ROC from sorted scores, AUC, EER and the two TAR@FAR conventions.
#include "eval/roc.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace fv::eval {

Roc compute_roc(const std::vector<double>& scores, const std::vector<std::uint8_t>& same) {
  FV_CHECK_EQ(scores.size(), same.size(), DataError, "ROC: one label per score");
  Roc roc;
  for (std::size_t i = 0; i < scores.size(); ++i) {
    FV_CHECK(std::isfinite(scores[i]), DataError, "ROC: score {} of pair {} is not finite", scores[i], i);
    if (same[i] != 0) {
      ++roc.positives;
    } else {
      ++roc.negatives;
    }
  }
  FV_CHECK(roc.positives > 0 && roc.negatives > 0, DataError,
           "ROC needs both same and different pairs; got {} same and {} different", roc.positives, roc.negatives);
  // Sorting (score, label) records directly is ~2x faster than sorting indices for 15.6M IJB-C pairs.
  std::vector<std::pair<double, std::uint8_t>> sorted(scores.size());
  for (std::size_t i = 0; i < scores.size(); ++i) sorted[i] = {scores[i], same[i] != 0 ? 1 : 0};
  std::sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first > b.first; });
  roc.points.reserve(scores.size() + 1);
  roc.points.push_back({std::numeric_limits<double>::infinity(), 0.0, 0.0, 0, 0});
  std::int64_t tp = 0;
  std::int64_t fp = 0;
  for (std::size_t k = 0; k < sorted.size(); ++k) {
    if (sorted[k].second != 0) {
      ++tp;
    } else {
      ++fp;
    }
    const bool last_of_tie = k + 1 == sorted.size() || sorted[k + 1].first != sorted[k].first;
    if (last_of_tie) {
      roc.points.push_back({sorted[k].first, static_cast<double>(fp) / static_cast<double>(roc.negatives),
                            static_cast<double>(tp) / static_cast<double>(roc.positives), fp, tp});
    }
  }
  return roc;
}

Roc drop_intermediate(const Roc& roc) {
  // sklearn applies the rule to the curve without its leading (0, 0) point, then prepends it.
  Roc out;
  out.positives = roc.positives;
  out.negatives = roc.negatives;
  if (roc.points.empty()) return out;
  out.points.push_back(roc.points[0]);
  const std::size_t n = roc.points.size() - 1;  // points 1..n
  if (n <= 2) {
    out.points.insert(out.points.end(), roc.points.begin() + 1, roc.points.end());
    return out;
  }
  for (std::size_t i = 1; i <= n; ++i) {
    bool keep = i == 1 || i == n;
    if (!keep) {
      const auto& a = roc.points[i - 1];
      const auto& b = roc.points[i];
      const auto& c = roc.points[i + 1];
      const std::int64_t d2_fp = c.false_accepts - 2 * b.false_accepts + a.false_accepts;
      const std::int64_t d2_tp = c.true_accepts - 2 * b.true_accepts + a.true_accepts;
      keep = d2_fp != 0 || d2_tp != 0;
    }
    if (keep) out.points.push_back(roc.points[i]);
  }
  return out;
}

double auc(const Roc& roc) {
  double area = 0;
  for (std::size_t i = 1; i < roc.points.size(); ++i) {
    const auto& a = roc.points[i - 1];
    const auto& b = roc.points[i];
    area += (b.far - a.far) * (a.tar + b.tar) / 2.0;
  }
  return area;
}

double eer(const Roc& roc) {
  FV_CHECK(!roc.points.empty(), DataError, "EER of an empty ROC");
  // g = FNR - FAR = (1 - tar) - far decreases from 1 at (0,0) to -1 at (1,1).
  auto g = [](const RocPoint& p) { return (1.0 - p.tar) - p.far; };
  for (std::size_t i = 1; i < roc.points.size(); ++i) {
    const double g0 = g(roc.points[i - 1]);
    const double g1 = g(roc.points[i]);
    if (g1 <= 0) {
      if (g0 == g1) return roc.points[i].far;
      const double t = g0 / (g0 - g1);
      return roc.points[i - 1].far + t * (roc.points[i].far - roc.points[i - 1].far);
    }
  }
  return roc.points.back().far;
}

namespace {

// The insightface pick on an already reduced ROC. ijb_11.py flips the curve (np.flipud, "select largest tpr
// at same fpr") and takes min(zip(abs(fpr - x), range(len(fpr)))): the nearest FAR, and on ties the
// smallest flipped index, i.e. the last point in ROC order (the highest TAR at that FAR).
TarAtFar nearest_far(const Roc& reduced, double target_far) {
  FV_CHECK(!reduced.points.empty(), ConfigError, "TAR@FAR of an empty ROC");
  FV_CHECK(target_far >= 0 && target_far <= 1, ConfigError, "TAR@FAR: target FAR {} must lie in [0, 1]",
           target_far);
  std::size_t best = 0;
  double best_gap = std::numeric_limits<double>::infinity();
  for (std::size_t i = 0; i < reduced.points.size(); ++i) {
    const double gap = std::fabs(reduced.points[i].far - target_far);
    if (gap <= best_gap) {
      best_gap = gap;
      best = i;
    }
  }
  const RocPoint& p = reduced.points[best];
  return {target_far, p.tar, p.far, p.threshold};
}

}  // namespace

std::string convention_name(TarAtFarConvention c) {
  return c == TarAtFarConvention::kStrict ? "strict" : "insightface";
}

std::vector<TarAtFar> tar_at_fars(const Roc& roc, const std::vector<double>& targets, TarAtFarConvention convention) {
  std::vector<TarAtFar> out;
  if (convention == TarAtFarConvention::kInsightface) {
    const Roc reduced = drop_intermediate(roc);
    for (double t : targets) out.push_back(nearest_far(reduced, t));
  } else {
    for (double t : targets) out.push_back(tar_at_far(roc, t, convention));
  }
  return out;
}

TarAtFar tar_at_far(const Roc& roc, double target_far, TarAtFarConvention convention) {
  FV_CHECK(!roc.points.empty(), ConfigError, "TAR@FAR of an empty ROC");
  FV_CHECK(target_far >= 0 && target_far <= 1, ConfigError, "TAR@FAR: target FAR {} must lie in [0, 1]",
           target_far);
  const RocPoint* chosen = nullptr;
  if (convention == TarAtFarConvention::kStrict) {
    // TAR never decreases along the ROC, so the last point with far <= target has the highest TAR.
    for (const auto& p : roc.points) {
      if (p.far <= target_far) chosen = &p;
    }
  } else {
    return nearest_far(drop_intermediate(roc), target_far);
  }
  return {target_far, chosen->tar, chosen->far, chosen->threshold};
}

}  // namespace fv::eval
