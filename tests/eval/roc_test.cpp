// Tests of the ROC, AUC, EER and TAR@FAR: scikit-learn golden values, brute force, hand-checked cases.
#include "eval/roc.h"

#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <fstream>
#include <limits>
#include <random>
#include <sstream>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::eval {
namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();

struct GoldenCase {
  std::vector<double> scores;
  std::vector<std::uint8_t> labels;
  std::vector<std::array<double, 3>> roc;  // fpr, tpr, threshold
  std::vector<std::array<double, 2>> dropped;
  double auc = 0;
  std::vector<std::array<double, 3>> tar;  // target, tpr, fpr (insightface pick)
};

std::vector<GoldenCase> read_golden() {
  std::ifstream in(testing::source_dir() / "tests/data/eval/roc_golden.txt");
  EXPECT_TRUE(in.good());
  std::vector<GoldenCase> cases;
  std::string line;
  std::getline(in, line);  // comment
  std::string word;
  while (in >> word) {
    EXPECT_EQ(word, "case");
    GoldenCase c;
    std::size_t n = 0;
    in >> n;
    for (std::size_t i = 0; i < n; ++i) {
      double s = 0;
      int l = 0;
      in >> s >> l;
      c.scores.push_back(s);
      c.labels.push_back(static_cast<std::uint8_t>(l));
    }
    in >> word >> n;
    for (std::size_t i = 0; i < n; ++i) {
      std::array<double, 3> r{};
      std::string t;
      in >> r[0] >> r[1] >> t;
      r[2] = t == "inf" ? kInf : std::stod(t);
      c.roc.push_back(r);
    }
    in >> word >> n;
    for (std::size_t i = 0; i < n; ++i) {
      std::array<double, 2> r{};
      in >> r[0] >> r[1];
      c.dropped.push_back(r);
    }
    in >> word >> c.auc;
    in >> word >> n;
    for (std::size_t i = 0; i < n; ++i) {
      std::array<double, 3> r{};
      in >> r[0] >> r[1] >> r[2];
      c.tar.push_back(r);
    }
    cases.push_back(c);
  }
  return cases;
}

TEST(Roc, AgreesWithScikitLearn) {
  const auto cases = read_golden();
  ASSERT_EQ(cases.size(), 3u);
  for (const auto& c : cases) {
    const Roc roc = compute_roc(c.scores, c.labels);
    ASSERT_EQ(roc.points.size(), c.roc.size());
    for (std::size_t i = 0; i < c.roc.size(); ++i) {
      EXPECT_NEAR(roc.points[i].far, c.roc[i][0], 1e-9);
      EXPECT_NEAR(roc.points[i].tar, c.roc[i][1], 1e-9);
      // sklearn 1.2 puts max + 1 as the first threshold; 1.3+ puts inf. Both mean "accept nothing".
      if (i > 0) {
        EXPECT_EQ(roc.points[i].threshold, c.roc[i][2]);
      }
    }
    const Roc dropped = drop_intermediate(roc);
    ASSERT_EQ(dropped.points.size(), c.dropped.size());
    for (std::size_t i = 0; i < c.dropped.size(); ++i) {
      EXPECT_NEAR(dropped.points[i].far, c.dropped[i][0], 1e-9);
      EXPECT_NEAR(dropped.points[i].tar, c.dropped[i][1], 1e-9);
    }
    EXPECT_NEAR(auc(roc), c.auc, 1e-9);
    for (const auto& t : c.tar) {
      const TarAtFar r = tar_at_far(roc, t[0], TarAtFarConvention::kInsightface);
      EXPECT_NEAR(r.tar, t[1], 1e-9) << "target " << t[0];
      EXPECT_NEAR(r.far, t[2], 1e-9) << "target " << t[0];
    }
  }
}

// Brute force: every threshold among the scores, counting score >= t directly.
TEST(Roc, MatchesBruteForceOnRandomScores) {
  std::mt19937 rng(7);
  for (int trial = 0; trial < 20; ++trial) {
    const int n = 50 + trial * 13;
    std::vector<double> scores;
    std::vector<std::uint8_t> labels;
    std::uniform_int_distribution<int> coin(0, 1);
    std::uniform_int_distribution<int> level(0, 30);
    for (int i = 0; i < n; ++i) {
      labels.push_back(static_cast<std::uint8_t>(i < 2 ? i : coin(rng)));  // both classes present
      scores.push_back(level(rng) / 10.0 + labels.back() * 0.5);            // ties on purpose
    }
    const Roc roc = compute_roc(scores, labels);
    std::vector<double> distinct = scores;
    std::sort(distinct.begin(), distinct.end(), std::greater<>());
    distinct.erase(std::unique(distinct.begin(), distinct.end()), distinct.end());
    ASSERT_EQ(roc.points.size(), distinct.size() + 1);
    double pos = 0;
    double neg = 0;
    for (auto l : labels) (l ? pos : neg) += 1;
    double mann_whitney = 0;
    for (int i = 0; i < n; ++i) {
      for (int j = 0; j < n; ++j) {
        if (labels[i] && !labels[j]) mann_whitney += scores[i] > scores[j] ? 1.0 : scores[i] == scores[j] ? 0.5 : 0.0;
      }
    }
    for (std::size_t k = 0; k < distinct.size(); ++k) {
      double tp = 0;
      double fp = 0;
      for (int i = 0; i < n; ++i) {
        if (scores[i] >= distinct[k]) (labels[i] ? tp : fp) += 1;
      }
      EXPECT_DOUBLE_EQ(roc.points[k + 1].tar, tp / pos);
      EXPECT_DOUBLE_EQ(roc.points[k + 1].far, fp / neg);
      EXPECT_EQ(roc.points[k + 1].threshold, distinct[k]);
    }
    EXPECT_NEAR(auc(roc), mann_whitney / (pos * neg), 1e-12);
    for (double target : {0.0, 0.01, 0.1, 0.25, 0.5, 1.0}) {
      double best_tar = 0;
      for (const auto& p : roc.points) {
        if (p.far <= target) best_tar = std::max(best_tar, p.tar);
      }
      const TarAtFar s = tar_at_far(roc, target, TarAtFarConvention::kStrict);
      EXPECT_DOUBLE_EQ(s.tar, best_tar);
      EXPECT_LE(s.far, target);
    }
    // EER: FNR and FAR on the interpolated ROC are equal there.
    const double e = eer(roc);
    EXPECT_GE(e, 0.0);
    EXPECT_LE(e, 1.0);
  }
}

TEST(Roc, PerfectSeparation) {
  const Roc roc = compute_roc({0.9, 0.8, 0.7, 0.2, 0.1}, {1, 1, 1, 0, 0});
  EXPECT_DOUBLE_EQ(auc(roc), 1.0);
  EXPECT_DOUBLE_EQ(eer(roc), 0.0);
  const TarAtFar s = tar_at_far(roc, 0.0, TarAtFarConvention::kStrict);
  EXPECT_DOUBLE_EQ(s.tar, 1.0);
  EXPECT_DOUBLE_EQ(s.far, 0.0);
  EXPECT_DOUBLE_EQ(s.threshold, 0.7);
}

TEST(Roc, AllEqualScoresGiveTheChanceDiagonal) {
  const Roc roc = compute_roc({0.5, 0.5, 0.5, 0.5}, {1, 0, 1, 0});
  ASSERT_EQ(roc.points.size(), 2u);  // (0,0) at +inf and (1,1) at 0.5: one point per distinct threshold
  EXPECT_DOUBLE_EQ(roc.points[1].far, 1.0);
  EXPECT_DOUBLE_EQ(roc.points[1].tar, 1.0);
  EXPECT_DOUBLE_EQ(auc(roc), 0.5);
  EXPECT_DOUBLE_EQ(eer(roc), 0.5);
  const TarAtFar s = tar_at_far(roc, 0.1, TarAtFarConvention::kStrict);
  EXPECT_DOUBLE_EQ(s.tar, 0.0);
  EXPECT_TRUE(std::isinf(s.threshold));
}

TEST(Roc, HandCheckedEerAndConventions) {
  // scores: pos 0.9 0.6 0.4 ; neg 0.7 0.3 0.2 0.1
  const Roc roc = compute_roc({0.9, 0.6, 0.4, 0.7, 0.3, 0.2, 0.1}, {1, 1, 1, 0, 0, 0, 0});
  // points: (0,0) (0,1/3)@.9 (1/4,1/3)@.7 (1/4,2/3)@.6 (1/4,1)@.4 (1/2,1) (3/4,1) (1,1)
  ASSERT_EQ(roc.points.size(), 8u);
  EXPECT_NEAR(auc(roc), 1.0 / 4 * 1.0 / 3 + 3.0 / 4 * 1.0, 1e-15);  // = 10/12 (Mann-Whitney: 10 of 12 ordered)
  // FNR - FAR: at (1/4, 1/3): 2/3 - 1/4 > 0; at (1/4, 2/3): 1/3 - 1/4 > 0; at (1/4, 1): -1/4 -> EER at FAR 1/4.
  EXPECT_NEAR(eer(roc), 0.25, 1e-15);
  // Target 0.2: strict may not exceed it -> TAR 1/3 at FAR 0. insightface takes the nearest FAR (0.25), above
  // the target; after drop_intermediate the points at FAR 1/4 are (1/4, 1/3)@0.7 and (1/4, 1)@0.4 and the
  // flipped min() takes the highest TAR: TAR 1 at FAR 1/4 (/usr/bin/python3 with ijb_11.py's code agrees).
  const TarAtFar s = tar_at_far(roc, 0.2, TarAtFarConvention::kStrict);
  EXPECT_NEAR(s.tar, 1.0 / 3, 1e-15);
  EXPECT_DOUBLE_EQ(s.far, 0.0);
  EXPECT_DOUBLE_EQ(s.threshold, 0.9);
  const TarAtFar i = tar_at_far(roc, 0.2, TarAtFarConvention::kInsightface);
  EXPECT_DOUBLE_EQ(i.tar, 1.0);
  EXPECT_DOUBLE_EQ(i.far, 0.25);
  EXPECT_DOUBLE_EQ(i.threshold, 0.4);
}

TEST(Roc, RejectsMissingClassAndNonFiniteScores) {
  EXPECT_THROW(compute_roc({0.1, 0.2}, {1, 1}), DataError);
  EXPECT_THROW(compute_roc({0.1, std::nan("")}, {1, 0}), DataError);
  EXPECT_THROW(compute_roc({0.1}, {1, 0}), DataError);
  const Roc roc = compute_roc({0.1, 0.2}, {1, 0});
  EXPECT_THROW(tar_at_far(roc, 1.5, TarAtFarConvention::kStrict), ConfigError);
}

}  // namespace
}  // namespace fv::eval
