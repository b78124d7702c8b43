// The L-Softmax building blocks: the multiple-angle expansion and psi (continuity, monotonicity, values).
#include "train/margin.h"
#include "train/margins/lsoftmax.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>

#include "core/error.h"

namespace fv {
namespace {

const double kPi = std::acos(-1.0);

TEST(Margin, MultipleAngleExpansionIsCosOfMTheta) {
  const auto theta = torch::linspace(0, kPi, 1001, torch::kDouble);
  for (int m = 1; m <= 4; ++m) {
    const auto got = cos_multiple_angle(torch::cos(theta), m);
    EXPECT_LT((got - torch::cos(m * theta)).abs().max().item<double>(), 1e-12) << "m = " << m;
  }
  EXPECT_THROW(cos_multiple_angle(torch::zeros({1}, torch::kDouble), 5), ConfigError);
}

TEST(Margin, PsiMatchesItsPiecewiseDefinition) {
  for (int m = 1; m <= 4; ++m) {
    for (int i = 0; i <= 400; ++i) {
      const double theta = kPi * i / 400.0;
      int k = std::min(m - 1, static_cast<int>(std::floor(theta * m / kPi)));
      const double expected = (k % 2 == 0 ? 1.0 : -1.0) * std::cos(m * theta) - 2.0 * k;
      const double got = lsoftmax_psi(torch::full({1}, std::cos(theta), torch::kDouble), m).item<double>();
      EXPECT_NEAR(got, expected, 1e-9) << "m = " << m << " theta = " << theta;
    }
    // End points: psi(0) = 1, psi(pi) = 1 - 2m.
    EXPECT_NEAR(lsoftmax_psi(torch::ones({1}, torch::kDouble), m).item<double>(), 1.0, 1e-12);
    EXPECT_NEAR(lsoftmax_psi(-torch::ones({1}, torch::kDouble), m).item<double>(), 1.0 - 2 * m, 1e-12);
  }
}

TEST(Margin, PsiIsContinuousAndDecreasingOnZeroToPi) {
  const int n = 100000;
  const auto theta = torch::linspace(0, kPi, n + 1, torch::kDouble);
  const double step = kPi / n;
  for (int m = 1; m <= 4; ++m) {
    const auto psi = lsoftmax_psi(torch::cos(theta), m);
    const auto diff = psi.slice(0, 1) - psi.slice(0, 0, n);
    // Decreasing: every step goes down (strictly: psi' < 0 away from theta = 0, pi and the piece borders,
    // where it is 0, and even there the finite steps are negative).
    EXPECT_LT(diff.max().item<double>(), 0.0) << "m = " << m;
    // Continuous: |psi'| <= m, so no step may jump by more than m * step (a jump of 2 at a border of the
    // pieces would show here).
    EXPECT_LE((-diff).max().item<double>(), m * step * (1 + 1e-6)) << "m = " << m;
    // psi(theta) <= cos(theta): the margin never helps the target class.
    EXPECT_LE((psi - torch::cos(theta)).max().item<double>(), 1e-12) << "m = " << m;
  }
}

TEST(Margin, PsiGradientIsContinuousAcrossPieceBorders) {
  // d psi / d cos at both sides of each border cos(j pi / m) agree (both pieces have zero slope in theta there).
  for (int m = 2; m <= 4; ++m) {
    for (int j = 1; j < m; ++j) {
      const double c = std::cos(j * kPi / m);
      auto both = torch::tensor({c - 1e-7, c + 1e-7}, torch::kDouble).requires_grad_(true);
      lsoftmax_psi(both, m).sum().backward();
      const auto g = both.grad();
      EXPECT_NEAR(g[0].item<double>(), g[1].item<double>(), 1e-4 * (1 + std::abs(g[0].item<double>())))
          << "m = " << m << " j = " << j;
    }
  }
}

TEST(Margin, MakeMarginReportsLambdaOnlyForAnnealedLosses) {
  const auto ls = make_margin(HeadOptions(3, 2).kind(MarginKind::kLSoftmax).m(2).lambda_base(10).lambda_gamma(1).lambda_power(1));
  EXPECT_DOUBLE_EQ(ls->lambda(4), 2.0);
  EXPECT_DOUBLE_EQ(make_margin(HeadOptions(3, 2).kind(MarginKind::kCosFace).m(0.3))->lambda(4), 0.0);
}

}  // namespace
}  // namespace fv
