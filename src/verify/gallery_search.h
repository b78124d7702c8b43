// 1:N search: score probes against a gallery of embeddings with matrix products and keep the top k.
#pragma once

#include <cstdint>
#include <vector>

namespace fv {

struct Match {
  std::int64_t index;  // gallery row
  float score;         // dot product (cosine similarity for L2-normalised embeddings)
};

struct SearchOptions {
  int top_k = 5;
  std::int64_t gallery_block = 1 << 18;  // gallery rows scored per matrix product (bounds memory)
  std::int64_t probe_block = 256;        // probes per matrix product
};

// For each of the m probes (m x d floats), the top_k gallery rows (n x d floats) by dot product, best first;
// equal scores are listed by gallery index (which of several rows tied at the k-th place is kept is
// unspecified). Requires d > 0; returns min(top_k, n) matches per probe.
// Uses LibTorch's matrix product (BLAS on CPU, cuBLAS when a GPU is present) and all configured threads.
std::vector<std::vector<Match>> search_gallery(const float* gallery, std::int64_t n, const float* probes,
                                               std::int64_t m, std::int64_t d, const SearchOptions& options);

}  // namespace fv
