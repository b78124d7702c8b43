// Distances between L2-normalised embeddings of pairs (fv-eval's LFW-family protocols and fv-train's validation).
#include "protocol/pair_distances.h"

#include <cmath>

#include "core/check.h"
#include "core/error.h"

namespace fv::protocol {

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

}  // namespace fv::protocol
