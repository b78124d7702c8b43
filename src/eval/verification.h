// Scores a set of pairs of embeddings: distances, k-fold accuracy, ROC, AUC, EER and TAR@FAR.
#pragma once

#include <optional>
#include <vector>

#include "formats/embedding_store.h"
#include "protocol/kfold.h"
#include "protocol/indexed_pairs.h"
#include "protocol/pair_distances.h"
#include "eval/roc.h"

namespace fv::eval {

struct VerificationOptions {
  protocol::KFoldOptions kfold;
  bool run_kfold = true;  // false for protocols without folds (IJB) or too few pairs
  std::vector<double> far_targets = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1};
};

struct VerificationResult {
  std::int64_t pairs = 0;
  std::int64_t positives = 0;
  std::int64_t negatives = 0;
  std::optional<protocol::KFoldResult> kfold;
  Roc roc;  // on the cosine similarity of the L2-normalised embeddings
  double auc = 0;
  double eer = 0;
  std::vector<TarAtFar> tar_strict;
  std::vector<TarAtFar> tar_insightface;
};

// Scores from distances, then the metrics of the header. Throws DataError when the pairs hold no same or
// no different pair, or (with run_kfold) fewer pairs than folds.
VerificationResult score_pairs(const std::vector<double>& distances, const std::vector<std::uint8_t>& same,
                               const VerificationOptions& options);

// The same from similarity scores (higher = same), without k-fold accuracy (IJB protocols).
VerificationResult score_similarities(const std::vector<double>& similarity, const std::vector<std::uint8_t>& same,
                                      const std::vector<double>& far_targets);

}  // namespace fv::eval
