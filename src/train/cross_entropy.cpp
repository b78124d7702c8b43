// Cross-entropy over fp32 logits (log-softmax, then the mean negative log-likelihood of the labels).
#include "train/cross_entropy.h"

#include <fmt/ranges.h>

#include "core/check.h"
#include "core/error.h"

namespace fv {

namespace {

void check_logits_labels(const torch::Tensor& logits, const torch::Tensor& labels) {
  FV_CHECK(logits.dim() == 2 && logits.size(0) >= 1, DataError, "logits must be [N, C] with N >= 1, got {}",
           fmt::format("{}", fmt::join(logits.sizes(), "x")));
  FV_CHECK(labels.dim() == 1 && labels.size(0) == logits.size(0), DataError,
           "labels must be 1-D with one label per logits row ({}), got shape {}", logits.size(0),
           fmt::format("{}", fmt::join(labels.sizes(), "x")));
  FV_CHECK(labels.scalar_type() == torch::kLong, DataError, "labels must be int64");
  if (labels.device().is_cpu()) {
    const int64_t lo = labels.min().item<int64_t>();
    const int64_t hi = labels.max().item<int64_t>();
    FV_CHECK(lo >= 0 && hi < logits.size(1), DataError, "labels must lie in [0, {}), got range [{}, {}]",
             logits.size(1), lo, hi);
  }
}

}  // namespace

torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels) {
  check_logits_labels(logits, labels);
  const auto log_p = torch::log_softmax(logits.to(torch::promote_types(logits.scalar_type(), torch::kFloat)), 1);
  return -log_p.gather(1, labels.unsqueeze(1)).mean();
}

torch::Tensor top1_accuracy(const torch::Tensor& logits, const torch::Tensor& labels) {
  check_logits_labels(logits, labels);
  torch::NoGradGuard no_grad;
  return logits.argmax(1).eq(labels).to(torch::kFloat).mean();
}

}  // namespace fv
