// Softmax: the baseline, logits W^T x (+ b), no margin.
#include "train/margins/margins.h"

namespace fv {
namespace {

class SoftmaxMargin final : public Margin {
 public:
  explicit SoftmaxMargin(const HeadOptions& o) : Margin(o, kBias) {}
  HeadGeometry geometry(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor&) const override {
    HeadGeometry g;
    g.logits = torch::matmul(x, w.t());
    return g;
  }
  torch::Tensor target_logit(const TargetTerms& t, int64_t) const override { return t.plain; }
};

}  // namespace

std::shared_ptr<Margin> make_softmax_margin(const HeadOptions& o) { return std::make_shared<SoftmaxMargin>(o); }

}  // namespace fv
