// Distances between normalised embeddings and the verification metrics computed from them.
#include "eval/verification.h"

#include <cmath>

#include "core/check.h"

namespace fv::eval {

VerificationResult score_similarities(const std::vector<double>& similarity, const std::vector<std::uint8_t>& same,
                                      const std::vector<double>& far_targets) {
  VerificationResult r;
  r.roc = compute_roc(similarity, same);
  r.pairs = static_cast<std::int64_t>(same.size());
  r.positives = r.roc.positives;
  r.negatives = r.roc.negatives;
  r.auc = auc(r.roc);
  r.eer = eer(r.roc);
  r.tar_strict = tar_at_fars(r.roc, far_targets, TarAtFarConvention::kStrict);
  r.tar_insightface = tar_at_fars(r.roc, far_targets, TarAtFarConvention::kInsightface);
  return r;
}

VerificationResult score_pairs(const std::vector<double>& distances, const std::vector<std::uint8_t>& same,
                               const VerificationOptions& options) {
  std::vector<double> similarity(distances.size());
  for (std::size_t i = 0; i < distances.size(); ++i) similarity[i] = 1.0 - distances[i] / 2.0;
  VerificationResult r = score_similarities(similarity, same, options.far_targets);
  if (options.run_kfold) r.kfold = protocol::kfold_verification(distances, same, options.kfold);
  return r;
}

}  // namespace fv::eval
