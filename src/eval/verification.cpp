// Distances between normalised embeddings and the verification metrics computed from them.
#include "eval/verification.h"

#include <cmath>

#include "core/check.h"

namespace fv::eval {

std::vector<float> l2_normalized(const std::vector<float>& embeddings, std::int64_t dim) {
  FV_CHECK(dim > 0 && embeddings.size() % static_cast<std::size_t>(dim) == 0, DataError,
           "embeddings of {} floats are not rows of {}", embeddings.size(), dim);
  std::vector<float> out(embeddings.size());
  const std::size_t rows = embeddings.size() / static_cast<std::size_t>(dim);
  for (std::size_t r = 0; r < rows; ++r) {
    const float* in = embeddings.data() + r * static_cast<std::size_t>(dim);
    double ss = 0;
    for (std::int64_t j = 0; j < dim; ++j) ss += static_cast<double>(in[j]) * in[j];
    const double norm = std::sqrt(ss);
    const double scale = norm > 0 ? 1.0 / norm : 0.0;
    for (std::int64_t j = 0; j < dim; ++j) {
      out[r * static_cast<std::size_t>(dim) + static_cast<std::size_t>(j)] = static_cast<float>(in[j] * scale);
    }
  }
  return out;
}

std::vector<double> squared_distances(const std::vector<float>& normalized, std::int64_t dim,
                                      const IndexedPairs& pairs) {
  std::vector<double> d(pairs.size());
  for (std::size_t i = 0; i < pairs.size(); ++i) {
    const float* a = normalized.data() + pairs.a[i] * dim;
    const float* b = normalized.data() + pairs.b[i] * dim;
    double s = 0;
    for (std::int64_t j = 0; j < dim; ++j) {
      const double diff = static_cast<double>(a[j]) - b[j];
      s += diff * diff;
    }
    d[i] = s;
  }
  return d;
}

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
  if (options.run_kfold) r.kfold = kfold_verification(distances, same, options.kfold);
  return r;
}

}  // namespace fv::eval
