// Blocked matrix-product search with a running top-k merge.
#include "verify/gallery_search.h"

#include <torch/torch.h>

#include <algorithm>

#include "core/check.h"

namespace fv {

std::vector<std::vector<Match>> search_gallery(const float* gallery, std::int64_t n, const float* probes,
                                               std::int64_t m, std::int64_t d, const SearchOptions& options) {
  FV_CHECK_GT(d, 0, DataError, "embedding dimension must be positive");
  FV_CHECK_GT(options.top_k, 0, ConfigError, "verify.top_k must be positive");
  FV_CHECK(options.gallery_block > 0 && options.probe_block > 0, ConfigError, "search block sizes must be positive");
  torch::NoGradGuard no_grad;
  const std::int64_t k = std::min<std::int64_t>(options.top_k, n);
  std::vector<std::vector<Match>> results(static_cast<std::size_t>(m));
  if (k == 0) return results;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat32);
  const torch::Tensor all_gallery = torch::from_blob(const_cast<float*>(gallery), {n, d}, opts);
  const torch::Tensor all_probes = torch::from_blob(const_cast<float*>(probes), {m, d}, opts);
  for (std::int64_t p0 = 0; p0 < m; p0 += options.probe_block) {
    const std::int64_t pm = std::min(options.probe_block, m - p0);
    const torch::Tensor p = all_probes.narrow(0, p0, pm);
    torch::Tensor best_scores, best_index;  // [pm, <=k], running top-k
    for (std::int64_t g0 = 0; g0 < n; g0 += options.gallery_block) {
      const std::int64_t gn = std::min(options.gallery_block, n - g0);
      const torch::Tensor scores = torch::mm(p, all_gallery.narrow(0, g0, gn).t());
      auto [s, i] = scores.topk(std::min(k, gn), /*dim=*/1, /*largest=*/true, /*sorted=*/true);
      i = i + g0;
      if (best_scores.defined()) {
        const torch::Tensor cs = torch::cat({best_scores, s}, 1), ci = torch::cat({best_index, i}, 1);
        auto [s2, pos] = cs.topk(std::min<std::int64_t>(k, cs.size(1)), 1, true, true);
        best_scores = s2;
        best_index = ci.gather(1, pos);
      } else {
        best_scores = s;
        best_index = i;
      }
    }
    const auto scores_a = best_scores.accessor<float, 2>();
    const auto index_a = best_index.accessor<std::int64_t, 2>();
    for (std::int64_t r = 0; r < pm; ++r) {
      auto& out = results[static_cast<std::size_t>(p0 + r)];
      for (std::int64_t c = 0; c < best_scores.size(1); ++c) out.push_back({index_a[r][c], scores_a[r][c]});
      // topk's order among equal scores is unspecified: make ties deterministic (lower index first).
      std::stable_sort(out.begin(), out.end(), [](const Match& a, const Match& b) {
        return a.score > b.score || (a.score == b.score && a.index < b.index);
      });
    }
  }
  return results;
}

}  // namespace fv
