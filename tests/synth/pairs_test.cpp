// pairs.txt generation: LFW structure, fold-disjoint identities, no repeated pairs, P limits.
#include "synth/pairs.h"

#include <gtest/gtest.h>

#include <set>
#include <sstream>
#include <string>
#include <tuple>

#include "core/error.h"

namespace fv::synth {
namespace {

// Brute-force count of the distinct same and different pairs of one fold.
std::pair<long, long> brute_force_available(int n, int k, int fold) {
  long ids = 0;
  for (int i = fold; i < n; i += kFolds) ++ids;
  long same = 0, diff = 0;
  for (long i = 0; i < ids; ++i) {
    for (int a = 0; a < k; ++a)
      for (int b = a + 1; b < k; ++b) ++same;
    for (long j = i + 1; j < ids; ++j) diff += static_cast<long>(k) * k;
  }
  return {same, diff};
}

TEST(Pairs, IdentityNamesHaveNoWhitespaceAndSort) {
  EXPECT_EQ(identity_name(0), "Synth_00001");
  EXPECT_EQ(identity_name(41), "Synth_00042");
  EXPECT_LT(identity_name(9), identity_name(10));
}

TEST(Pairs, MaxPairsMatchesBruteForce) {
  for (auto [n, k] : {std::pair{20, 2}, {23, 3}, {57, 4}, {100, 10}}) {
    long expected = -1;
    for (int f = 0; f < kFolds; ++f) {
      const auto [s, d] = brute_force_available(n, k, f);
      const long m = std::min(s, d);
      expected = expected < 0 ? m : std::min(expected, m);
    }
    EXPECT_EQ(max_pairs_per_fold(n, k), expected) << n << "x" << k;
  }
  EXPECT_EQ(resolve_pairs_per_fold(0, 20, 2), 2);       // per fold: 2 x 1 same, 1 x 2 x 2 different pairs
  EXPECT_EQ(resolve_pairs_per_fold(0, 1000, 20), 300);  // capped as in LFW
  EXPECT_EQ(resolve_pairs_per_fold(5, 100, 3), 5);
}

TEST(Pairs, TooManyRequestedPairsNamesTheKey) {
  try {
    resolve_pairs_per_fold(50, 20, 3);
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("synth.pairs_per_fold"), std::string::npos) << e.what();
  }
}

TEST(Pairs, TextHasLfwStructureAndDisjointFolds) {
  const int n = 57, k = 4;
  const int p = resolve_pairs_per_fold(0, n, k);
  ASSERT_EQ(p, static_cast<int>(max_pairs_per_fold(n, k)));  // small data: every fold at its limit
  const std::string text = format_pairs(make_pairs(n, k, p, 7), p);
  std::istringstream in(text);
  std::string line;
  std::getline(in, line);
  EXPECT_EQ(line, "10\t" + std::to_string(p));
  std::vector<std::set<std::string>> fold_names(kFolds);
  for (int f = 0; f < kFolds; ++f) {
    std::set<std::tuple<std::string, int, int>> same_seen;
    std::set<std::tuple<std::string, int, std::string, int>> diff_seen;
    for (int i = 0; i < 2 * p; ++i) {
      ASSERT_TRUE(std::getline(in, line)) << "fold " << f << " line " << i;
      std::istringstream fields(line);
      std::vector<std::string> t;
      std::string tok;
      while (std::getline(fields, tok, '\t')) t.push_back(tok);
      if (i < p) {
        ASSERT_EQ(t.size(), 3u) << line;
        const int a = std::stoi(t[1]), b = std::stoi(t[2]);
        EXPECT_TRUE(a >= 1 && a < b && b <= k) << line;  // same identity, two different images
        EXPECT_TRUE(same_seen.insert({t[0], a, b}).second) << "repeated " << line;
        fold_names[f].insert(t[0]);
      } else {
        ASSERT_EQ(t.size(), 4u) << line;
        EXPECT_NE(t[0], t[2]) << line;
        const int a = std::stoi(t[1]), b = std::stoi(t[3]);
        EXPECT_TRUE(a >= 1 && a <= k && b >= 1 && b <= k) << line;
        EXPECT_TRUE(diff_seen.insert({t[0], a, t[2], b}).second) << "repeated " << line;
        fold_names[f].insert(t[0]);
        fold_names[f].insert(t[2]);
      }
    }
    // Identity i (name number i + 1) belongs to fold i % 10.
    for (const auto& name : fold_names[f]) EXPECT_EQ((std::stoi(name.substr(6)) - 1) % kFolds, f) << name;
  }
  EXPECT_FALSE(std::getline(in, line)) << "extra line: " << line;
  for (int f = 0; f < kFolds; ++f)
    for (int g = f + 1; g < kFolds; ++g)
      for (const auto& name : fold_names[f]) EXPECT_EQ(fold_names[g].count(name), 0u) << name;
}

TEST(Pairs, SameSeedSamePairsOtherSeedOtherPairs) {
  const auto a = format_pairs(make_pairs(200, 10, 300, 1), 300);
  EXPECT_EQ(a, format_pairs(make_pairs(200, 10, 300, 1), 300));
  EXPECT_NE(a, format_pairs(make_pairs(200, 10, 300, 2), 300));
}

}  // namespace
}  // namespace fv::synth
