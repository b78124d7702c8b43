// Margin implementations: identity (softmax, L2-softmax), L-Softmax / A-Softmax, SM-Softmax, CosFace, ArcFace.
#include "train/margin.h"

#include <cmath>

#include "core/check.h"
#include "core/error.h"

namespace fv {

torch::Tensor cos_multiple_angle(const torch::Tensor& c, int m) {
  switch (m) {
    case 1:
      return c;
    case 2:
      return 2 * c * c - 1;
    case 3:
      return (4 * c * c - 3) * c;
    case 4: {
      const auto c2 = c * c;
      return (8 * c2 - 8) * c2 + 1;
    }
    default:
      throw ConfigError(fmt::format("train.m must be an integer in {{1,2,3,4}} for lsoftmax (got {})", m));
  }
}

torch::Tensor lsoftmax_psi(const torch::Tensor& c, int m) {
  const auto cos_m = cos_multiple_angle(c, m);
  // k = #{ j in 1..m-1 : c < cos(j pi / m) }, i.e. theta > j pi / m. At a threshold both neighbouring
  // pieces agree (psi is continuous), so the choice of < or <= does not matter.
  auto k = torch::zeros_like(c);
  const double pi = std::acos(-1.0);
  for (int j = 1; j < m; ++j) {
    k = k + (c < std::cos(j * pi / m)).to(c.scalar_type());
  }
  k = k.detach();
  const auto sign = 1 - 2 * torch::fmod(k, 2);  // (-1)^k
  return sign * cos_m - 2 * k;
}

namespace {

// Softmax and L2-softmax: the target logit is the plain one (L2-softmax acts on the features, in the head).
class IdentityMargin final : public Margin {
 public:
  torch::Tensor target_logit(const TargetTerms& t, int64_t) const override { return t.plain; }
};

// L-Softmax (Liu et al., ICML 2016, eqs. (4)-(6)) and A-Softmax (the head passes ||W_y|| = 1):
// f = (lambda * W_y^T x + ||W_y|| ||x|| psi(theta_y)) / (1 + lambda), lambda annealed as in the authors'
// Caffe layer (large_margin_inner_product_layer): max(lambda_min, base (1 + gamma it)^-power).
class LargeMargin final : public Margin {
 public:
  explicit LargeMargin(const HeadOptions& o) : options_(o), m_(static_cast<int>(o.m())) {}
  torch::Tensor target_logit(const TargetTerms& t, int64_t iteration) const override {
    const double lam = lambda(iteration);
    return (lam * t.plain + t.scale * lsoftmax_psi(t.cos, m_)) / (1.0 + lam);
  }
  double lambda(int64_t iteration) const override { return lsoftmax_lambda(options_, iteration); }

 private:
  HeadOptions options_;
  int m_;
};

// SM-Softmax (Liang et al. 2017, eq. (4)): W_y^T x - m.
class SoftMargin final : public Margin {
 public:
  explicit SoftMargin(double m) : m_(m) {}
  torch::Tensor target_logit(const TargetTerms& t, int64_t) const override { return t.plain - m_; }

 private:
  double m_;
};

// CosFace / AM-Softmax (Wang et al. 2018, eq. (4)): s (cos theta_y - m).
class CosineMargin final : public Margin {
 public:
  explicit CosineMargin(double m) : m_(m) {}
  torch::Tensor target_logit(const TargetTerms& t, int64_t) const override { return t.scale * (t.cos - m_); }

 private:
  double m_;
};

// ArcFace (Deng et al. 2019, eq. (3)): s cos(theta_y + m) = s (c cos m - sin(theta) sin m). Where theta + m
// would pass pi, cos(theta + m) stops decreasing in theta; the original implementation then uses
// c - m sin(m) (th = cos(pi - m), mm = sin(pi - m) m), or with easy_margin keeps c where c <= 0.
class AngularMargin final : public Margin {
 public:
  AngularMargin(double m, bool easy) : easy_(easy) {
    const double pi = std::acos(-1.0);
    cos_m_ = std::cos(m);
    sin_m_ = std::sin(m);
    th_ = std::cos(pi - m);
    mm_ = std::sin(pi - m) * m;
  }
  torch::Tensor target_logit(const TargetTerms& t, int64_t) const override {
    const auto& c = t.cos;
    // sin(theta) = sqrt(1 - c^2). Its derivative is infinite at c = +-1; the floor keeps gradients finite
    // there (and keeps the unused torch::where branch from sending 0 * inf = NaN backwards).
    const auto sin_theta = (1 - c * c).clamp_min(kSinSquaredFloor).sqrt();
    const auto phi = c * cos_m_ - sin_theta * sin_m_;
    const auto fallback = easy_ ? torch::where(c > 0, phi, c) : torch::where(c > th_, phi, c - mm_);
    return t.scale * fallback;
  }

 private:
  static constexpr double kSinSquaredFloor = 1e-7;
  bool easy_;
  double cos_m_, sin_m_, th_, mm_;
};

}  // namespace

std::shared_ptr<Margin> make_margin(const HeadOptions& o) {
  switch (o.kind()) {
    case MarginKind::kSoftmax:
    case MarginKind::kL2Softmax:
      return std::make_shared<IdentityMargin>();
    case MarginKind::kLSoftmax:
    case MarginKind::kASoftmax:
      return std::make_shared<LargeMargin>(o);
    case MarginKind::kSMSoftmax:
      return std::make_shared<SoftMargin>(o.m());
    case MarginKind::kCosFace:
      return std::make_shared<CosineMargin>(o.m());
    case MarginKind::kArcFace:
      return std::make_shared<AngularMargin>(o.m(), o.easy_margin());
  }
  throw ConfigError("train.loss: unknown margin kind");
}

}  // namespace fv
