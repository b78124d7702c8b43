// Distances between L2-normalised embeddings of pairs, as insightface's verification.py computes them: shared by
// fv-eval (LFW-family protocols, .bin sets, YTF) and fv-train's validation.
#pragma once

#include <cstdint>
#include <vector>

#include "protocol/indexed_pairs.h"

namespace fv::protocol {

// Row i of `embeddings` (rows x dim) divided by its L2 norm (zero rows stay zero), as
// sklearn.preprocessing.normalize.
std::vector<float> l2_normalized(const std::vector<float>& embeddings, std::int64_t dim);

// Squared L2 distance between normalised rows a[i], b[i] (insightface's `dist`), in double.
// Cosine similarity = 1 - distance / 2 for unit vectors; the ROC uses the similarity (higher = same).
std::vector<double> squared_distances(const std::vector<float>& normalized, std::int64_t dim,
                                      const IndexedPairs& pairs);

}  // namespace fv::protocol
