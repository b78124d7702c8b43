// ClassifierHead: class weights, fp32 logits, the loss's margin on the target column, and the cross-entropy.
#include "train/classifier_head.h"

#include <c10/core/impl/LocalDispatchKeySet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/check.h"
#include "core/error.h"
#include "train/cross_entropy.h"

namespace fv {

ClassifierHeadImpl::ClassifierHeadImpl(const HeadOptions& options) : options_(options) {
  validate(options_);
  margin_ = make_margin(options_);
  weight = register_parameter("weight", torch::randn({options_.num_classes(), options_.embedding_dim()}) * 0.01);
  if (options_.bias()) bias = register_parameter("bias", torch::zeros({options_.num_classes()}));  // allowed: validated
  if (margin_->has_alpha()) {
    auto a = torch::full({}, options_.alpha(), torch::kFloat);
    alpha_tensor = options_.learn_alpha() ? register_parameter("alpha", a) : register_buffer("alpha", a);
  }
}

HeadGeometry head_geometry(const Margin& margin, int64_t embedding_dim, const torch::Tensor& features,
                           const torch::Tensor& weight, const torch::Tensor& bias, const torch::Tensor& alpha_tensor) {
  FV_CHECK(features.dim() == 2 && features.size(1) == embedding_dim && features.size(0) >= 1, DataError,
           "the head expects features [N, {}], got [{}]", embedding_dim,
           fmt::format("{}", fmt::join(features.sizes(), ", ")));
  FV_CHECK(features.is_floating_point(), DataError, "the head expects floating-point features");
  // The logits and the loss are computed in fp32 even inside an autocast region: margins on fp16 logits
  // are the classic source of NaN / a loss stuck at -log(FLT_MIN).
  // "At least fp32": a double head (used by the finite-difference tests) stays double.
  const auto dtype = torch::promote_types(torch::promote_types(features.scalar_type(), weight.scalar_type()), torch::kFloat);
  HeadGeometry g = margin.geometry(features.to(dtype), weight.to(dtype),
                                   alpha_tensor.defined() ? alpha_tensor.to(dtype) : torch::Tensor());
  if (bias.defined()) g.logits = g.logits + bias.to(g.logits.scalar_type());
  return g;
}

HeadGeometry ClassifierHeadImpl::geometry(const torch::Tensor& features) const {
  return head_geometry(*margin_, options_.embedding_dim(), features, weight, bias, alpha_tensor);
}

torch::Tensor apply_target_margin(const Margin& margin, const HeadGeometry& g,
                                  const torch::Tensor& labels_in, int64_t iteration, bool allow_missing) {
  if (allow_missing) {
    // Only the rows whose target column is here get a margin; the others keep their plain logits (their
    // target lives elsewhere). Computing the margin on a stand-in column and discarding it would risk 0*inf.
    const auto rows = labels_in.ge(0).nonzero().squeeze(1);
    if (rows.numel() == 0) return g.logits;
    const auto cols = labels_in.index_select(0, rows);
    HeadGeometry sub;
    sub.logits = g.logits.index_select(0, rows);
    if (g.cos.defined()) sub.cos = g.cos.index_select(0, rows);
    if (g.norm_x.defined()) sub.norm_x = g.norm_x.index_select(0, rows);
    sub.norm_w = g.norm_w;
    const auto target_logits = apply_target_margin(margin, sub, cols, iteration, false);
    const auto target = target_logits.gather(1, cols.unsqueeze(1)).squeeze(1);
    return g.logits.index_put({rows, cols}, target);
  }
  const auto index = labels_in.unsqueeze(1);
  const auto target = margin.target_logit(margin.target_terms(g, labels_in), iteration);
  return g.logits.scatter(1, index, target.unsqueeze(1));
}

HeadOutput ClassifierHeadImpl::forward(const torch::Tensor& features, const torch::Tensor& labels, int64_t iteration) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  FV_CHECK(iteration >= 0, DataError, "the iteration must be >= 0 (got {})", iteration);
  const HeadGeometry g = geometry(features);
  FV_CHECK(labels.dim() == 1 && labels.size(0) == g.logits.size(0) && labels.scalar_type() == torch::kLong, DataError,
           "the head expects int64 labels [{}], got [{}]", g.logits.size(0),
           fmt::format("{}", fmt::join(labels.sizes(), ", ")));
  if (labels.device().is_cpu() && labels.numel() > 0) {
    const int64_t lo = labels.min().item<int64_t>();
    const int64_t hi = labels.max().item<int64_t>();
    FV_CHECK(lo >= 0 && hi < options_.num_classes(), DataError, "labels must lie in [0, {}), got range [{}, {}]",
             options_.num_classes(), lo, hi);
  }
  HeadOutput out;
  out.logits = apply_target_margin(*margin_, g, labels, iteration);
  out.loss = cross_entropy(out.logits, labels);
  out.lambda = margin_->lambda(iteration);
  return out;
}

torch::Tensor ClassifierHeadImpl::inference_logits(const torch::Tensor& features) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  return geometry(features).logits;
}

double ClassifierHeadImpl::alpha() const { return alpha_tensor.defined() ? alpha_tensor.item<double>() : 0.0; }

void ClassifierHeadImpl::pretty_print(std::ostream& stream) const { stream << "fv::ClassifierHead(" << describe(options_) << ")"; }

}  // namespace fv
