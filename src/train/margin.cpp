// The parts every margin shares: the refusal of switches a loss does not read, the default target terms and the
// row norms.
#include "train/margin.h"

#include "core/check.h"
#include "core/error.h"

namespace fv {

Margin::Margin(const HeadOptions& o, unsigned switches) : switches_(switches) {
  const std::string loss = margin_kind_name(o.kind());
  FV_CHECK(!o.bias() || (switches & kBias) != 0, ConfigError,
           "train.bias does not apply to {} (its paper defines the logits without a bias; only softmax, l2softmax "
           "and smsoftmax have one); set train.bias = false",
           loss);
  FV_CHECK(!o.learn_alpha() || (switches & kAlpha) != 0, ConfigError,
           "train.learn_alpha applies only to a loss with a feature scale alpha (l2softmax; loss is {})", loss);
  FV_CHECK(!o.easy_margin() || (switches & kEasyMargin) != 0, ConfigError,
           "train.easy_margin does not apply to {} (it is arcface's)", loss);
}

TargetTerms Margin::target_terms(const HeadGeometry& g, const torch::Tensor& labels) const {
  TargetTerms t;
  t.plain = g.logits.gather(1, labels.unsqueeze(1)).squeeze(1);
  return t;
}

torch::Tensor safe_row_norm(const torch::Tensor& x) { return x.pow(2).sum(1).clamp_min(1e-24).sqrt(); }

torch::Tensor normalize_rows(const torch::Tensor& x) { return x / safe_row_norm(x).unsqueeze(1); }

}  // namespace fv
