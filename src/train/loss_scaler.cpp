// LossScaler: scale, unscale with one device-side finiteness check, GradScaler's update rule.
#include "train/loss_scaler.h"

#include "core/check.h"
#include "core/error.h"

namespace fv {

LossScaler::LossScaler(LossScalerOptions options) : options_(options), scale_(options.initial_scale) {
  FV_CHECK(options_.initial_scale > 0 && options_.growth_factor > 1 && options_.backoff_factor > 0 &&
               options_.backoff_factor < 1 && options_.growth_interval > 0,
           ConfigError, "loss scaler: need scale > 0, growth > 1, 0 < backoff < 1, interval > 0");
}

torch::Tensor LossScaler::scale(const torch::Tensor& loss) const { return loss * scale_; }

bool LossScaler::unscale_and_update(const std::vector<torch::Tensor>& params,
                                    const std::function<void(torch::Tensor&)>& agree) {
  torch::NoGradGuard no_grad;
  torch::Tensor found_inf;
  const double inv = 1.0 / scale_;
  for (const auto& p : params) {
    const auto& g = p.grad();
    if (!g.defined()) continue;
    g.mul_(inv);
    // All on the device: one flag, read once below.
    const auto bad = torch::isfinite(g).all().logical_not();
    found_inf = found_inf.defined() ? found_inf.logical_or(bad) : bad;
  }
  if (agree) {
    torch::Tensor flag = found_inf.defined() ? found_inf.to(torch::kFloat32).reshape({1}).contiguous()
                                             : torch::zeros({1}, params.empty() ? torch::TensorOptions() : params.front().options().dtype(torch::kFloat32));
    agree(flag);
    found_inf = flag.gt(0).reshape({});
  }
  const bool finite = !found_inf.defined() || !found_inf.item<bool>();
  if (!finite) {
    scale_ *= options_.backoff_factor;
    growth_tracker_ = 0;
  } else if (++growth_tracker_ >= options_.growth_interval) {
    scale_ *= options_.growth_factor;
    growth_tracker_ = 0;
  }
  return finite;
}

void LossScaler::restore(double value, std::int64_t growth_tracker) {
  FV_CHECK(value > 0 && growth_tracker >= 0, FormatError, "loss scaler state: scale {} and tracker {} are invalid",
           value, growth_tracker);
  scale_ = value;
  growth_tracker_ = growth_tracker;
}

}  // namespace fv
