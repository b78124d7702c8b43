// LFW-style verification pairs over the synthetic identities: 10 folds with disjoint identities
// (identity i belongs to fold i % 10), P same-person and P different-person pairs per fold.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace fv::synth {

constexpr int kFolds = 10;
constexpr int kMaxAutoPairs = 300;  // LFW's pairs.txt has 300 + 300 pairs per fold

struct SamePair {
  int identity = 0;
  int a = 0, b = 0;  // 0-based image indices, a < b
};
struct DiffPair {
  int identity1 = 0, a = 0;  // identity1 < identity2
  int identity2 = 0, b = 0;
};
struct PairFold {
  std::vector<SamePair> same;
  std::vector<DiffPair> diff;
};

// "Synth_00001" for identity 0: no whitespace, sorts like the index.
std::string identity_name(int identity);

// Largest P every fold can supply without repeating a pair (min over folds of the distinct same-person
// and different-person pairs). Requires identities >= 20, images_per_identity >= 2.
std::int64_t max_pairs_per_fold(int identities, int images_per_identity);

// Resolves synth.pairs_per_fold: 0 -> min(300, max_pairs_per_fold); otherwise returns `requested` or
// throws ConfigError naming synth.pairs_per_fold when it exceeds max_pairs_per_fold.
int resolve_pairs_per_fold(int requested, int identities, int images_per_identity);

// Draws `per_fold` distinct same and different pairs per fold, each block sorted. Deterministic in seed.
std::vector<PairFold> make_pairs(int identities, int images_per_identity, int per_fold, std::uint64_t seed);

// pairs.txt text: "10\tP", then per fold P lines "Name\tn1\tn2" and P lines "Name1\tn1\tName2\tn2" with
// 1-based image numbers.
std::string format_pairs(const std::vector<PairFold>& folds, int per_fold);

}  // namespace fv::synth
