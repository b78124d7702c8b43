// The 10-fold verification accuracy and VAL@FAR of LFW-style protocols, as insightface's verification.py.
//
// Reproduced from insightface recognition/arcface_torch/eval/verification.py (calculate_roc,
// calculate_val): distances are squared L2 between L2-normalised embeddings; a pair is predicted "same"
// when distance < threshold (strict); folds are sklearn KFold(n_splits, shuffle=False) over the pair
// order (contiguous blocks, the first n % k folds one pair longer); for each fold the threshold that
// maximises accuracy on the other folds (np.argmax: ties go to the first, i.e. smallest, threshold) is
// applied to the fold; mean and population standard deviation (np.std) over folds.
//
// VAL@FAR (facenet): on the training folds FAR(threshold) is computed on the VAL grid; when its maximum
// reaches the target, the threshold at the target FAR is linearly interpolated (interp1d 'slinear'); else
// the threshold is 0. Deviation: modern SciPy rejects the repeated FAR values that interp1d receives, so
// (as the usual fix does) each distinct FAR value keeps its first, smallest, threshold before
// interpolating. VAL and FAR are then measured on the test fold.
#pragma once

#include <cstdint>
#include <vector>

namespace fv::protocol {

enum class ThresholdMode {
  kGrid,   // np.arange(grid_start, grid_stop, grid_step): insightface's default, comparable numbers
  kExact,  // every distinct training distance separated: midpoints between sorted distinct distances
};

struct KFoldOptions {
  int folds = 10;
  // false: contiguous folds in pair order (sklearn KFold, as LFW pairs.txt and .bin sets are laid out);
  // true: pair i goes to fold i % folds, for files without folds whose same and different pairs come in
  // blocks (LFW View 1, generic pair lists), so that every fold mixes both kinds.
  bool interleaved = false;
  ThresholdMode mode = ThresholdMode::kGrid;
  double grid_start = 0.0;
  double grid_stop = 4.0;
  double grid_step = 0.01;
  double val_far = 1e-3;
  double val_grid_step = 0.001;  // verification.py evaluates VAL on np.arange(0, 4, 0.001)
};

struct KFoldResult {
  std::vector<double> fold_accuracy;
  std::vector<double> fold_threshold;  // distance threshold chosen on the other folds
  double accuracy_mean = 0;
  double accuracy_std = 0;  // population standard deviation
  std::vector<double> fold_val;  // NaN for a test fold without same pairs
  std::vector<double> fold_far;  // NaN for a test fold without different pairs
  double val_mean = 0;  // means and std over the folds where the value is defined
  double val_std = 0;
  double far_mean = 0;
};

// np.arange(start, stop, step): ceil((stop - start) / step) values start + i * step.
std::vector<double> arange(double start, double stop, double step);

// Requires distances.size() == same.size() >= folds >= 2 and finite distances (DataError otherwise).
KFoldResult kfold_verification(const std::vector<double>& distances, const std::vector<std::uint8_t>& same,
                               const KFoldOptions& options);

}  // namespace fv::protocol
