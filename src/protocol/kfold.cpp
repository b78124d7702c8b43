// 10-fold threshold selection, accuracy and VAL@FAR (insightface verification.py semantics).
#include "protocol/kfold.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/check.h"

namespace fv::protocol {
namespace {

// Distances of one subset, split into same and different pairs and sorted, for O(log n) counting.
struct Split {
  std::vector<double> same;
  std::vector<double> diff;
  std::size_t size() const { return same.size() + diff.size(); }
  // Pairs with distance < t (predicted same).
  static std::size_t below(const std::vector<double>& v, double t) {
    return static_cast<std::size_t>(std::lower_bound(v.begin(), v.end(), t) - v.begin());
  }
  double accuracy(double t) const {
    const std::size_t tp = below(same, t);
    const std::size_t tn = diff.size() - below(diff, t);
    return static_cast<double>(tp + tn) / static_cast<double>(size());
  }
  double val(double t) const {
    return same.empty() ? std::nan("") : static_cast<double>(below(same, t)) / static_cast<double>(same.size());
  }
  double far(double t) const {
    return diff.empty() ? std::nan("") : static_cast<double>(below(diff, t)) / static_cast<double>(diff.size());
  }
};

// The test fold (complement = false) or the training folds (true): fold `fold` of `folds` is the
// contiguous range [begin, end), or the pairs i with i % folds == fold when interleaved.
Split make_split(const std::vector<double>& d, const std::vector<std::uint8_t>& same, std::size_t begin,
                 std::size_t end, bool complement, bool interleaved, std::size_t fold, std::size_t folds) {
  Split s;
  for (std::size_t i = 0; i < d.size(); ++i) {
    const bool inside = interleaved ? i % folds == fold : (i >= begin && i < end);
    if (inside == complement) continue;
    (same[i] != 0 ? s.same : s.diff).push_back(d[i]);
  }
  std::sort(s.same.begin(), s.same.end());
  std::sort(s.diff.begin(), s.diff.end());
  return s;
}

std::vector<double> exact_thresholds(const Split& train) {
  std::vector<double> all = train.same;
  all.insert(all.end(), train.diff.begin(), train.diff.end());
  std::sort(all.begin(), all.end());
  all.erase(std::unique(all.begin(), all.end()), all.end());
  std::vector<double> t;
  if (all.empty()) return t;
  t.push_back(all.front());  // accepts nothing
  for (std::size_t i = 1; i < all.size(); ++i) t.push_back((all[i - 1] + all[i]) / 2.0);
  t.push_back(all.back() + 1.0);  // accepts everything
  return t;
}

void mean_std(const std::vector<double>& v, double* mean, double* std_dev) {
  double sum = 0;
  std::size_t n = 0;
  for (double x : v) {
    if (!std::isnan(x)) {
      sum += x;
      ++n;
    }
  }
  if (n == 0) {
    *mean = *std_dev = std::nan("");
    return;
  }
  *mean = sum / static_cast<double>(n);
  double ss = 0;
  for (double x : v) {
    if (!std::isnan(x)) ss += (x - *mean) * (x - *mean);
  }
  *std_dev = std::sqrt(ss / static_cast<double>(n));
}

// The threshold at which the training FAR reaches `target` (see the header).
double val_threshold(const Split& train, const std::vector<double>& thresholds, double target) {
  std::vector<double> far(thresholds.size());
  double max_far = -1;
  for (std::size_t i = 0; i < thresholds.size(); ++i) {
    far[i] = train.far(thresholds[i]);
    max_far = std::max(max_far, far[i]);
  }
  if (!(max_far >= target)) return 0.0;
  // np.unique(far, return_index=True): sorted distinct values, first index of each.
  std::vector<std::size_t> order(far.size());
  for (std::size_t i = 0; i < order.size(); ++i) order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) { return far[a] < far[b]; });
  std::vector<double> x;
  std::vector<double> y;
  for (std::size_t k : order) {
    if (x.empty() || far[k] != x.back()) {
      x.push_back(far[k]);
      y.push_back(thresholds[k]);
    }
  }
  if (target <= x.front()) return y.front();
  for (std::size_t j = 1; j < x.size(); ++j) {
    if (target <= x[j]) {
      const double t = (target - x[j - 1]) / (x[j] - x[j - 1]);
      return y[j - 1] + t * (y[j] - y[j - 1]);
    }
  }
  return y.back();
}

}  // namespace

std::vector<double> arange(double start, double stop, double step) {
  FV_CHECK(step > 0, ConfigError, "threshold grid step {} must be positive", step);
  const auto n = static_cast<std::int64_t>(std::ceil((stop - start) / step));
  std::vector<double> v;
  for (std::int64_t i = 0; i < n; ++i) v.push_back(start + static_cast<double>(i) * step);
  return v;
}

KFoldResult kfold_verification(const std::vector<double>& distances, const std::vector<std::uint8_t>& same,
                               const KFoldOptions& options) {
  FV_CHECK_EQ(distances.size(), same.size(), DataError, "k-fold: one label per distance");
  FV_CHECK(options.folds >= 2, ConfigError, "k-fold: need at least 2 folds, got {}", options.folds);
  const std::size_t n = distances.size();
  const auto k = static_cast<std::size_t>(options.folds);
  FV_CHECK(n >= k, DataError, "k-fold: {} pairs cannot be split into {} folds", n, k);
  for (std::size_t i = 0; i < n; ++i) {
    FV_CHECK(std::isfinite(distances[i]), DataError, "k-fold: distance of pair {} is not finite", i);
  }
  const std::vector<double> grid = arange(options.grid_start, options.grid_stop, options.grid_step);
  const std::vector<double> val_grid = arange(options.grid_start, options.grid_stop, options.val_grid_step);
  KFoldResult r;
  std::size_t begin = 0;
  for (std::size_t f = 0; f < k; ++f) {
    const std::size_t size = n / k + (f < n % k ? 1 : 0);
    const std::size_t end = begin + size;
    const Split train = make_split(distances, same, begin, end, true, options.interleaved, f, k);
    const Split test = make_split(distances, same, begin, end, false, options.interleaved, f, k);
    const std::vector<double> thresholds = options.mode == ThresholdMode::kGrid ? grid : exact_thresholds(train);
    FV_CHECK(!thresholds.empty(), ConfigError, "k-fold: empty threshold list");
    std::size_t best = 0;
    double best_acc = -1;
    for (std::size_t i = 0; i < thresholds.size(); ++i) {
      const double acc = train.accuracy(thresholds[i]);
      if (acc > best_acc) {  // strict: the first maximum wins, as np.argmax
        best_acc = acc;
        best = i;
      }
    }
    r.fold_threshold.push_back(thresholds[best]);
    r.fold_accuracy.push_back(test.accuracy(thresholds[best]));
    const double vt =
        val_threshold(train, options.mode == ThresholdMode::kGrid ? val_grid : thresholds, options.val_far);
    r.fold_val.push_back(test.val(vt));
    r.fold_far.push_back(test.far(vt));
    begin = end;
  }
  mean_std(r.fold_accuracy, &r.accuracy_mean, &r.accuracy_std);
  mean_std(r.fold_val, &r.val_mean, &r.val_std);
  double far_std = 0;
  mean_std(r.fold_far, &r.far_mean, &far_std);
  return r;
}

}  // namespace fv::protocol
