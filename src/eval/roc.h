// The ROC of a set of verification scores and the metrics read from it (AUC, EER, TAR@FAR).
//
// Convention for every function here: a higher score means "more likely the same person" (use minus the
// distance for distances), and a pair is accepted at threshold t when score >= t.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fv::eval {

struct RocPoint {
  double threshold = 0;  // accept when score >= threshold (+inf for the first point: accept nothing)
  double far = 0;        // false accepts / negatives
  double tar = 0;        // true accepts / positives
  std::int64_t false_accepts = 0;
  std::int64_t true_accepts = 0;
};

// The exact ROC: the point (0, 0) at threshold +inf, then one point per distinct score in decreasing
// order (ties handled: all pairs with the same score enter together), ending at (1, 1). This is
// scikit-learn's roc_curve(labels, scores, drop_intermediate=False).
struct Roc {
  std::vector<RocPoint> points;
  std::int64_t positives = 0;
  std::int64_t negatives = 0;
};

// Requires scores.size() == same.size(), at least one positive and one negative, finite scores.
// Throws DataError otherwise. O(n log n).
Roc compute_roc(const std::vector<double>& scores, const std::vector<std::uint8_t>& same);

// scikit-learn's drop_intermediate=True: removes points collinear with both neighbours (equal second
// differences of false and true accepts are zero), keeping the first and last point. insightface's
// IJB scripts call roc_curve with this default, and the nearest-FAR pick below depends on it.
Roc drop_intermediate(const Roc& roc);

// Area under the ROC by the trapezoid rule over (far, tar) (scikit-learn's auc on roc_curve).
double auc(const Roc& roc);

// Equal error rate: the FAR where FAR = 1 - TAR on the ROC polyline (linear interpolation inside the
// segment where FNR - FAR changes sign), i.e. facenet's brentq on the interpolated ROC.
double eer(const Roc& roc);

// The two TAR@FAR conventions (one definition each).
enum class TarAtFarConvention {
  // The highest TAR among ROC points whose FAR does not exceed the target (never above the target).
  kStrict,
  // The ROC point (after drop_intermediate) whose FAR is nearest the target, the highest TAR on ties:
  // insightface recognition/_evaluation_/ijb/ijb_11.py: fpr, tpr, _ = roc_curve(label, score);
  // fpr, tpr = np.flipud(fpr), np.flipud(tpr); _, i = min(zip(abs(fpr - x), range(len(fpr)))); tpr[i].
  // Its FAR can lie above the target.
  kInsightface,
};
std::string convention_name(TarAtFarConvention c);

struct TarAtFar {
  double target_far = 0;
  double tar = 0;
  double far = 0;        // the actual FAR of the chosen point
  double threshold = 0;  // its threshold (score >= threshold accepts); +inf when nothing is accepted
};

// Requires a non-empty ROC and 0 <= target_far <= 1 (ConfigError otherwise).
TarAtFar tar_at_far(const Roc& roc, double target_far, TarAtFarConvention convention);
// The same for several targets (reduces the ROC once for the insightface convention).
std::vector<TarAtFar> tar_at_fars(const Roc& roc, const std::vector<double>& targets, TarAtFarConvention convention);

}  // namespace fv::eval
