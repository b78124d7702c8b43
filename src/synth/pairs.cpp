// LFW-style pair generation (sampling without repetition, per-fold identity sets).
#include "synth/pairs.h"

#include <fmt/format.h>

#include <algorithm>
#include <set>
#include <tuple>

#include "core/check.h"
#include "synth/rng.h"

namespace fv::synth {
namespace {

std::vector<int> fold_identities(int identities, int fold) {
  std::vector<int> ids;
  for (int i = fold; i < identities; i += kFolds) ids.push_back(i);
  return ids;
}

// Draws `count` distinct codes from [0, total): enumeration + partial shuffle when total is small,
// rejection otherwise (then total > 8 * count, so few draws are rejected).
std::vector<std::int64_t> distinct_codes(std::int64_t total, int count, Rng& rng) {
  std::vector<std::int64_t> out;
  if (total <= 8LL * count) {
    std::vector<std::int64_t> all(static_cast<std::size_t>(total));
    for (std::int64_t i = 0; i < total; ++i) all[static_cast<std::size_t>(i)] = i;
    for (int i = 0; i < count; ++i) {
      const auto j = i + static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(total - i)));
      std::swap(all[static_cast<std::size_t>(i)], all[static_cast<std::size_t>(j)]);
      out.push_back(all[static_cast<std::size_t>(i)]);
    }
    return out;
  }
  std::set<std::int64_t> seen;
  while (static_cast<int>(out.size()) < count) {
    const auto c = static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(total)));
    if (seen.insert(c).second) out.push_back(c);
  }
  return out;
}

}  // namespace

std::string identity_name(int identity) { return fmt::format("Synth_{:05d}", identity + 1); }

std::int64_t max_pairs_per_fold(int identities, int images_per_identity) {
  const std::int64_t k = images_per_identity;
  std::int64_t best = -1;
  for (int f = 0; f < kFolds; ++f) {
    const std::int64_t n = static_cast<std::int64_t>(fold_identities(identities, f).size());
    const std::int64_t same = n * k * (k - 1) / 2;
    const std::int64_t diff = n * (n - 1) / 2 * k * k;
    const std::int64_t m = std::min(same, diff);
    best = best < 0 ? m : std::min(best, m);
  }
  return best;
}

int resolve_pairs_per_fold(int requested, int identities, int images_per_identity) {
  const std::int64_t max = max_pairs_per_fold(identities, images_per_identity);
  if (requested == 0) return static_cast<int>(std::min<std::int64_t>(kMaxAutoPairs, max));
  FV_CHECK(requested <= max, ConfigError,
           "config key 'synth.pairs_per_fold' = {} is more than the {} distinct pairs the smallest fold allows "
           "with {} identities x {} images (use 0 for automatic)",
           requested, max, identities, images_per_identity);
  return requested;
}

std::vector<PairFold> make_pairs(int identities, int images_per_identity, int per_fold, std::uint64_t seed) {
  FV_CHECK(identities >= 2 * kFolds && images_per_identity >= 2 && per_fold >= 1, ConfigError,
           "pairs need >= 20 identities, >= 2 images each and >= 1 pair per fold (got {}, {}, {})", identities,
           images_per_identity, per_fold);
  FV_CHECK(per_fold <= max_pairs_per_fold(identities, images_per_identity), ConfigError,
           "config key 'synth.pairs_per_fold' = {} exceeds the distinct pairs available", per_fold);
  const std::int64_t k = images_per_identity;
  const std::int64_t kk = k * (k - 1) / 2;
  // Unordered image pair code c in [0, k(k-1)/2) -> (a, b), a < b.
  std::vector<std::pair<int, int>> image_pairs;
  for (int a = 0; a < k; ++a)
    for (int b = a + 1; b < k; ++b) image_pairs.emplace_back(a, b);
  std::vector<PairFold> folds(kFolds);
  for (int f = 0; f < kFolds; ++f) {
    Rng rng(derive_seed(seed, 0xFFFFFFFFull, static_cast<std::uint64_t>(f)));
    const auto ids = fold_identities(identities, f);
    const std::int64_t n = static_cast<std::int64_t>(ids.size());
    for (const auto c : distinct_codes(n * kk, per_fold, rng)) {
      const auto& [a, b] = image_pairs[static_cast<std::size_t>(c % kk)];
      folds[f].same.push_back({ids[static_cast<std::size_t>(c / kk)], a, b});
    }
    // Identity pair code: index into the n(n-1)/2 unordered pairs (i < j), times k*k image choices.
    std::vector<std::pair<int, int>> id_pairs;
    for (std::int64_t i = 0; i < n; ++i)
      for (std::int64_t j = i + 1; j < n; ++j) id_pairs.emplace_back(ids[i], ids[j]);
    for (const auto c : distinct_codes(static_cast<std::int64_t>(id_pairs.size()) * k * k, per_fold, rng)) {
      const auto& [i, j] = id_pairs[static_cast<std::size_t>(c / (k * k))];
      const auto rest = c % (k * k);
      folds[f].diff.push_back({i, static_cast<int>(rest / k), j, static_cast<int>(rest % k)});
    }
    std::sort(folds[f].same.begin(), folds[f].same.end(),
              [](const SamePair& x, const SamePair& y) { return std::tie(x.identity, x.a, x.b) < std::tie(y.identity, y.a, y.b); });
    std::sort(folds[f].diff.begin(), folds[f].diff.end(), [](const DiffPair& x, const DiffPair& y) {
      return std::tie(x.identity1, x.a, x.identity2, x.b) < std::tie(y.identity1, y.a, y.identity2, y.b);
    });
  }
  return folds;
}

std::string format_pairs(const std::vector<PairFold>& folds, int per_fold) {
  std::string text = fmt::format("{}\t{}\n", folds.size(), per_fold);
  for (const auto& f : folds) {
    for (const auto& s : f.same) text += fmt::format("{}\t{}\t{}\n", identity_name(s.identity), s.a + 1, s.b + 1);
    for (const auto& d : f.diff)
      text += fmt::format("{}\t{}\t{}\t{}\n", identity_name(d.identity1), d.a + 1, identity_name(d.identity2), d.b + 1);
  }
  return text;
}

}  // namespace fv::synth
