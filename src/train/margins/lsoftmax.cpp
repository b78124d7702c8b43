// L-Softmax (Liu et al., ICML 2016, eqs. (4)-(7)) and A-Softmax (SphereFace: the same target logit with
// ||W_j|| = 1 and no bias): f_y = (lambda W_y^T x + ||W_y|| ||x|| psi(theta_y)) / (1 + lambda), lambda annealed.
#include "train/margins/lsoftmax.h"

#include <fmt/format.h>

#include <cmath>

#include "core/check.h"
#include "core/error.h"
#include "train/margins/margins.h"

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

double lsoftmax_lambda(const HeadOptions& o, int64_t iteration) {
  FV_CHECK_GE(iteration, 0, ConfigError, "the iteration must be >= 0");
  const double annealed =
      o.lambda_base() * std::pow(1.0 + o.lambda_gamma() * static_cast<double>(iteration), -o.lambda_power());
  return std::max(o.lambda_min(), annealed);
}

namespace {

// `unit_weights`: A-Softmax (the logits use W_j / ||W_j||, so the scale in front of psi is ||x|| alone).
class LargeMargin final : public Margin {
 public:
  LargeMargin(const HeadOptions& o, bool unit_weights)
      : Margin(o, kNone), options_(o), m_(static_cast<int>(o.m())), unit_weights_(unit_weights) {
    const std::string kind = margin_kind_name(o.kind());
    const double m = o.m();
    FV_CHECK(std::isfinite(m) && m == std::floor(m) && m >= 1 && m <= 4, ConfigError,
             "train.m must be an integer in {{1,2,3,4}} for {} (got {})", kind, m);
    const std::pair<const char*, double> schedule[] = {{"train.lambda_base", o.lambda_base()},
                                                       {"train.lambda_gamma", o.lambda_gamma()},
                                                       {"train.lambda_power", o.lambda_power()},
                                                       {"train.lambda_min", o.lambda_min()}};
    for (const auto& [key, value] : schedule)
      FV_CHECK(std::isfinite(value) && value >= 0, ConfigError, "{} must be >= 0 for {} (got {})", key, kind, value);
  }
  HeadGeometry geometry(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor&) const override {
    HeadGeometry g;
    if (unit_weights_) {
      g.logits = torch::matmul(x, normalize_rows(w).t());
    } else {
      g.logits = torch::matmul(x, w.t());
      g.norm_w = safe_row_norm(w);
    }
    g.norm_x = safe_row_norm(x);
    return g;
  }
  TargetTerms target_terms(const HeadGeometry& g, const torch::Tensor& labels) const override {
    TargetTerms t = Margin::target_terms(g, labels);
    t.scale = unit_weights_ ? g.norm_x : g.norm_x * g.norm_w.index_select(0, labels);
    t.cos = (t.plain / t.scale).clamp(-1.0, 1.0);
    return t;
  }
  torch::Tensor target_logit(const TargetTerms& t, int64_t iteration) const override {
    const double lam = lambda(iteration);
    return (lam * t.plain + t.scale * lsoftmax_psi(t.cos, m_)) / (1.0 + lam);
  }
  double lambda(int64_t iteration) const override { return lsoftmax_lambda(options_, iteration); }
  std::string describe() const override {
    return fmt::format(" m={} lambda_base={} lambda_gamma={} lambda_power={} lambda_min={}", m_,
                       options_.lambda_base(), options_.lambda_gamma(), options_.lambda_power(), options_.lambda_min());
  }

 private:
  HeadOptions options_;
  int m_;
  bool unit_weights_;
};

}  // namespace

std::shared_ptr<Margin> make_lsoftmax_margin(const HeadOptions& o) { return std::make_shared<LargeMargin>(o, false); }
std::shared_ptr<Margin> make_asoftmax_margin(const HeadOptions& o) { return std::make_shared<LargeMargin>(o, true); }

}  // namespace fv
