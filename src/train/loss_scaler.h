// Dynamic loss scaling for fp16 training (what torch.cuda.amp.GradScaler does; LibTorch has no C++ one).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

namespace fv {

struct LossScalerOptions {
  double initial_scale = 65536.0;  // 2^16, GradScaler's default
  double growth_factor = 2.0;
  double backoff_factor = 0.5;
  std::int64_t growth_interval = 2000;  // consecutive finite steps before the scale grows
};

class LossScaler {
 public:
  explicit LossScaler(LossScalerOptions options = {});

  // loss * scale (backward this instead of the loss).
  torch::Tensor scale(const torch::Tensor& loss) const;

  // Divides every defined gradient by the scale in place and checks them all for NaN/Inf on the device; the one
  // host synchronisation of an fp16 step is reading that flag (as GradScaler's step does). Returns true when the
  // optimiser may step. Updates the scale as GradScaler: on an overflow it is multiplied by backoff_factor and
  // the step must be skipped; after growth_interval finite steps in a row it is multiplied by growth_factor.
  // `agree`, when given, combines the overflow flag (a float 0-D-like [1] tensor, 1 = overflow) across
  // processes in place (an all-reduce MAX), so that every rank takes the same decision.
  bool unscale_and_update(const std::vector<torch::Tensor>& params,
                          const std::function<void(torch::Tensor&)>& agree = {});

  double value() const { return scale_; }
  std::int64_t growth_tracker() const { return growth_tracker_; }
  // Restores the state saved in a checkpoint. Requires value > 0 and tracker >= 0.
  void restore(double value, std::int64_t growth_tracker);

 private:
  LossScalerOptions options_;
  double scale_;
  std::int64_t growth_tracker_ = 0;
};

}  // namespace fv
