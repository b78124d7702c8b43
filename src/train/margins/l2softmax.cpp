// L2-softmax (Ranjan et al. 2017, eq. (3)-(4)): softmax on alpha x / ||x||; no margin on the target logit. The
// head holds alpha (a buffer, or a parameter when train.learn_alpha).
#include "train/margins/l2softmax.h"

#include <fmt/format.h>

#include <cmath>

#include "core/check.h"
#include "core/error.h"
#include "train/margins/margins.h"

namespace fv {

double l2softmax_alpha_lower_bound(int64_t num_classes, double p) {
  FV_CHECK_GT(num_classes, 2, ConfigError, "the L2-softmax alpha bound needs train.num_classes > 2");
  FV_CHECK(p > 0 && p < 1, ConfigError, "the L2-softmax alpha bound needs 0 < p < 1 (got {})", p);
  return std::log(p * static_cast<double>(num_classes - 2) / (1.0 - p));
}

namespace {

class L2SoftmaxMargin final : public Margin {
 public:
  explicit L2SoftmaxMargin(const HeadOptions& o) : Margin(o, kBias | kAlpha), options_(o) {
    FV_CHECK(std::isfinite(o.alpha()) && o.alpha() > 0, ConfigError,
             "train.alpha must be > 0 for l2softmax (got {})", o.alpha());
  }
  HeadGeometry geometry(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& alpha) const override {
    HeadGeometry g;
    g.logits = torch::matmul(normalize_rows(x) * alpha, w.t());
    return g;
  }
  torch::Tensor target_logit(const TargetTerms& t, int64_t) const override { return t.plain; }
  std::string describe() const override {
    std::string text = fmt::format(" alpha={} learn_alpha={}", options_.alpha(), options_.learn_alpha());
    if (options_.num_classes() > 2)
      text += fmt::format(" alpha_low(p=0.9)={:.4f}", l2softmax_alpha_lower_bound(options_.num_classes()));
    return text;
  }

 private:
  HeadOptions options_;
};

}  // namespace

std::shared_ptr<Margin> make_l2softmax_margin(const HeadOptions& o) { return std::make_shared<L2SoftmaxMargin>(o); }

}  // namespace fv
