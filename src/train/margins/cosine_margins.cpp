// The margins on normalised features and weights, logits s cos(theta_j): CosFace / AM-Softmax (Wang et al. 2018,
// eq. (4)): s (cos theta_y - m); ArcFace (Deng et al. 2019, eq. (3)): s cos(theta_y + m).
#include <fmt/format.h>

#include <cmath>

#include "core/check.h"
#include "core/error.h"
#include "train/margins/margins.h"

namespace fv {
namespace {

// The geometry both share: cosines of normalised rows, scaled by s (train.s > 0).
class CosineMargin : public Margin {
 public:
  CosineMargin(const HeadOptions& o, unsigned switches) : Margin(o, switches), s_(o.s()), m_(o.m()) {
    FV_CHECK(std::isfinite(s_) && s_ > 0, ConfigError, "train.s must be > 0 for {} (got {})",
             margin_kind_name(o.kind()), s_);
  }
  HeadGeometry geometry(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor&) const override {
    HeadGeometry g;
    g.cos = torch::matmul(normalize_rows(x), normalize_rows(w).t()).clamp(-1.0, 1.0);
    g.logits = g.cos * s_;
    return g;
  }
  TargetTerms target_terms(const HeadGeometry& g, const torch::Tensor& labels) const override {
    TargetTerms t = Margin::target_terms(g, labels);
    t.cos = g.cos.gather(1, labels.unsqueeze(1)).squeeze(1);
    t.scale = torch::full_like(t.cos, s_);
    return t;
  }

 protected:
  double s_, m_;
};

class CosFaceMargin final : public CosineMargin {
 public:
  explicit CosFaceMargin(const HeadOptions& o) : CosineMargin(o, kNone) {
    FV_CHECK(std::isfinite(m_) && m_ >= 0 && m_ <= 1, ConfigError,
             "train.m must be in [0, 1] (cosine units) for cosface (got {})", m_);
  }
  torch::Tensor target_logit(const TargetTerms& t, int64_t) const override { return t.scale * (t.cos - m_); }
  std::string describe() const override { return fmt::format(" m={} s={}", m_, s_); }
};

// s cos(theta_y + m) = s (c cos m - sin(theta) sin m). Where theta + m would pass pi, cos(theta + m) stops
// decreasing in theta; the original implementation then uses c - m sin(m) (th = cos(pi - m),
// mm = sin(pi - m) m), or with easy_margin keeps c where c <= 0.
class ArcFaceMargin final : public CosineMargin {
 public:
  explicit ArcFaceMargin(const HeadOptions& o) : CosineMargin(o, kEasyMargin), easy_(o.easy_margin()) {
    const double pi = std::acos(-1.0);
    FV_CHECK(std::isfinite(m_) && m_ >= 0 && m_ <= pi / 2, ConfigError,
             "train.m must be in [0, pi/2] (radians) for arcface (got {})", m_);
    cos_m_ = std::cos(m_);
    sin_m_ = std::sin(m_);
    th_ = std::cos(pi - m_);
    mm_ = std::sin(pi - m_) * m_;
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
  std::string describe() const override { return fmt::format(" m={} s={} easy_margin={}", m_, s_, easy_); }

 private:
  static constexpr double kSinSquaredFloor = 1e-7;
  bool easy_;
  double cos_m_, sin_m_, th_, mm_;
};

}  // namespace

std::shared_ptr<Margin> make_cosface_margin(const HeadOptions& o) { return std::make_shared<CosFaceMargin>(o); }
std::shared_ptr<Margin> make_arcface_margin(const HeadOptions& o) { return std::make_shared<ArcFaceMargin>(o); }

}  // namespace fv
