// StepMetrics: device-side sums and the first diverged step, read on demand.
#include "train/step_metrics.h"

namespace fv {

StepMetrics::StepMetrics(double max_loss) : max_loss_(max_loss) {}

void StepMetrics::add(const torch::Tensor& loss, const torch::Tensor& accuracy, std::int64_t step,
                      std::int64_t images) {
  torch::NoGradGuard no_grad;
  const auto opts = torch::TensorOptions().dtype(torch::kFloat64).device(loss.device());
  if (!sums_.defined() || sums_.device() != loss.device()) {
    sums_ = torch::zeros({2}, opts);
    bad_ = torch::tensor({-1.0, 0.0}, opts);
  }
  const auto l = loss.detach().reshape({}).to(torch::kFloat64);
  sums_.add_(torch::stack({l, accuracy.detach().reshape({}).to(torch::kFloat64)}));
  // NaN compares false with everything, so "not finite" catches it; the first bad step wins.
  const auto bad = torch::isfinite(l).logical_not().logical_or(l.gt(max_loss_));
  const auto first = bad.logical_and(bad_[0].lt(0));
  bad_.copy_(torch::where(first, torch::stack({torch::full({}, static_cast<double>(step), opts), l}), bad_));
  ++steps_;
  images_ += images;
}

MetricTotals StepMetrics::take() {
  MetricTotals t;
  t.steps = steps_;
  t.images = images_;
  if (steps_ > 0) {
    const auto host = torch::cat({sums_, bad_}).cpu();  // the one synchronisation
    const auto* v = host.data_ptr<double>();
    t.mean_loss = v[0] / static_cast<double>(steps_);
    t.mean_accuracy = v[1] / static_cast<double>(steps_);
    t.bad_step = static_cast<std::int64_t>(v[2]);
    t.bad_loss = v[3];
    sums_.zero_();
    bad_.copy_(torch::tensor({-1.0, 0.0}, sums_.options()));
  }
  steps_ = images_ = 0;
  return t;
}

}  // namespace fv
