// SM-Softmax (Liang et al. 2017, eq. (4)): the target logit W_y^T x - m, m a real >= 0 in logit units.
#include <fmt/format.h>

#include <cmath>

#include "core/check.h"
#include "core/error.h"
#include "train/margins/margins.h"

namespace fv {
namespace {

class SoftMargin final : public Margin {
 public:
  explicit SoftMargin(const HeadOptions& o) : Margin(o, kBias), m_(o.m()) {
    FV_CHECK(std::isfinite(m_) && m_ >= 0, ConfigError, "train.m must be a real >= 0 for smsoftmax (got {})", m_);
  }
  HeadGeometry geometry(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor&) const override {
    HeadGeometry g;
    g.logits = torch::matmul(x, w.t());
    return g;
  }
  torch::Tensor target_logit(const TargetTerms& t, int64_t) const override { return t.plain - m_; }
  std::string describe() const override { return fmt::format(" m={}", m_); }

 private:
  double m_;
};

}  // namespace

std::shared_ptr<Margin> make_smsoftmax_margin(const HeadOptions& o) { return std::make_shared<SoftMargin>(o); }

}  // namespace fv
