// Tests of the 10-fold accuracy and VAL@FAR against insightface's verification.py (golden) and by hand.
#include "protocol/kfold.h"

#include <gtest/gtest.h>

#include <cmath>
#include <fstream>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::protocol {
namespace {

TEST(KFold, ReproducesInsightfaceVerificationPy) {
  std::ifstream in(testing::source_dir() / "tests/data/eval/lfw_golden.txt");
  ASSERT_TRUE(in.good());
  std::string line;
  std::getline(in, line);
  std::string word;
  int cases = 0;
  while (in >> word) {
    ASSERT_EQ(word, "case");
    std::size_t n = 0;
    double val_far = 0;
    in >> n >> val_far;
    std::vector<double> d(n);
    std::vector<std::uint8_t> same(n);
    for (std::size_t i = 0; i < n; ++i) {
      int s = 0;
      in >> d[i] >> s;
      same[i] = static_cast<std::uint8_t>(s);
    }
    KFoldOptions opt;
    opt.val_far = val_far;
    const KFoldResult r = kfold_verification(d, same, opt);
    ASSERT_EQ(r.fold_accuracy.size(), 10u);
    for (int f = 0; f < 10; ++f) {
      double acc = 0, thr = 0, val = 0, far = 0;
      in >> acc >> thr >> val >> far;
      EXPECT_NEAR(r.fold_accuracy[f], acc, 1e-12) << "case " << n << " fold " << f;
      EXPECT_NEAR(r.fold_threshold[f], thr, 1e-12) << "case " << n << " fold " << f;
      EXPECT_NEAR(r.fold_val[f], val, 1e-12) << "case " << n << " fold " << f;
      EXPECT_NEAR(r.fold_far[f], far, 1e-12) << "case " << n << " fold " << f;
    }
    double acc_mean = 0, acc_std = 0, val_mean = 0, val_std = 0, far_mean = 0;
    in >> word >> acc_mean >> acc_std >> val_mean >> val_std >> far_mean;
    EXPECT_NEAR(r.accuracy_mean, acc_mean, 1e-12);
    EXPECT_NEAR(r.accuracy_std, acc_std, 1e-12);
    EXPECT_NEAR(r.val_mean, val_mean, 1e-12);
    EXPECT_NEAR(r.val_std, val_std, 1e-12);
    EXPECT_NEAR(r.far_mean, far_mean, 1e-12);
    ++cases;
  }
  EXPECT_EQ(cases, 3);
}

TEST(KFold, ArangeMatchesNumpy) {
  const auto g = arange(0, 4, 0.01);
  ASSERT_EQ(g.size(), 400u);
  EXPECT_DOUBLE_EQ(g[0], 0.0);
  EXPECT_DOUBLE_EQ(g[399], 399 * 0.01);
  EXPECT_EQ(arange(0, 4, 0.001).size(), 4000u);
}

TEST(KFold, PerfectSeparationGivesFullAccuracyAndSmallestBestThreshold) {
  // 20 pairs, 2 folds of 10: same distances 0.5, different 1.5.
  std::vector<double> d;
  std::vector<std::uint8_t> same;
  for (int i = 0; i < 20; ++i) {
    same.push_back(i % 2 == 0);
    d.push_back(i % 2 == 0 ? 0.5 : 1.5);
  }
  KFoldOptions opt;
  opt.folds = 2;
  const KFoldResult r = kfold_verification(d, same, opt);
  for (int f = 0; f < 2; ++f) {
    EXPECT_DOUBLE_EQ(r.fold_accuracy[f], 1.0);
    // Every threshold in (0.5, 1.5] is perfect; ties go to the first: 0.51.
    EXPECT_NEAR(r.fold_threshold[f], 0.51, 1e-12);
  }
  EXPECT_DOUBLE_EQ(r.accuracy_mean, 1.0);
  EXPECT_DOUBLE_EQ(r.accuracy_std, 0.0);
  opt.mode = ThresholdMode::kExact;
  const KFoldResult e = kfold_verification(d, same, opt);
  EXPECT_DOUBLE_EQ(e.fold_threshold[0], 1.0);  // the midpoint between 0.5 and 1.5
  EXPECT_DOUBLE_EQ(e.accuracy_mean, 1.0);
}

TEST(KFold, AllEqualDistancesGiveChanceAccuracy) {
  std::vector<double> d(20, 1.0);
  std::vector<std::uint8_t> same;
  for (int i = 0; i < 20; ++i) same.push_back(i % 2);
  KFoldOptions opt;
  opt.folds = 2;
  const KFoldResult r = kfold_verification(d, same, opt);
  EXPECT_DOUBLE_EQ(r.accuracy_mean, 0.5);
  EXPECT_DOUBLE_EQ(r.fold_threshold[0], 0.0);  // first maximum of a flat accuracy curve
}

TEST(KFold, FoldWithoutPositivesStillHasAccuracyButNoVal) {
  // Fold 0: only different pairs (distance 1.5); fold 1: mixed.
  std::vector<double> d = {1.5, 1.5, 1.5, 1.5, 0.2, 1.6, 0.3, 1.7};
  std::vector<std::uint8_t> same = {0, 0, 0, 0, 1, 0, 1, 0};
  KFoldOptions opt;
  opt.folds = 2;
  opt.val_far = 0.5;
  const KFoldResult r = kfold_verification(d, same, opt);
  // Fold 0 trained on fold 1 (same <= 0.3, different >= 1.6): threshold 0.31; all 4 different pairs rejected.
  EXPECT_NEAR(r.fold_threshold[0], 0.31, 1e-12);
  EXPECT_DOUBLE_EQ(r.fold_accuracy[0], 1.0);
  EXPECT_TRUE(std::isnan(r.fold_val[0]));  // no same pair to accept
  EXPECT_FALSE(std::isnan(r.fold_far[0]));
  // Fold 1 trained on fold 0 (no positives): accuracy is flat at 1 for t <= 1.5 -> threshold 0; rejects all.
  EXPECT_DOUBLE_EQ(r.fold_threshold[1], 0.0);
  EXPECT_DOUBLE_EQ(r.fold_accuracy[1], 0.5);
  EXPECT_DOUBLE_EQ(r.accuracy_mean, 0.75);
  EXPECT_DOUBLE_EQ(r.accuracy_std, 0.25);
  EXPECT_FALSE(std::isnan(r.val_mean));  // the mean skips the undefined fold
}

TEST(KFold, InterleavedFoldsMixBlocksOfSameAndDifferentPairs) {
  // 10 same pairs then 10 different pairs (View 1 layout): contiguous 2-fold would train on one kind only.
  std::vector<double> d;
  std::vector<std::uint8_t> same;
  for (int i = 0; i < 20; ++i) {
    same.push_back(i < 10);
    d.push_back(i < 10 ? 0.4 : 1.2);
  }
  KFoldOptions opt;
  opt.folds = 2;
  EXPECT_DOUBLE_EQ(kfold_verification(d, same, opt).accuracy_mean, 0.5);
  opt.interleaved = true;
  const KFoldResult r = kfold_verification(d, same, opt);
  EXPECT_DOUBLE_EQ(r.accuracy_mean, 1.0);
  EXPECT_NEAR(r.fold_threshold[0], 0.41, 1e-12);
}

TEST(KFold, RejectsTooFewPairs) {
  EXPECT_THROW(kfold_verification({0.1, 0.2}, {1, 0}, KFoldOptions{}), DataError);
}

}  // namespace
}  // namespace fv::protocol
