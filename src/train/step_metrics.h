// Training metrics accumulated on the training device, read by the host only every N steps: a step then
// never waits for the GPU (no `.item()` per step), and a NaN or too-large loss is still caught at the step
// where it happened.
#pragma once

#include <torch/torch.h>

#include <cstdint>

namespace fv {

struct MetricTotals {
  std::int64_t steps = 0;      // steps added since the last take()
  std::int64_t images = 0;
  double mean_loss = 0;        // over those steps
  double mean_accuracy = 0;    // top-1 on the training batch (with the margin in the logits)
  std::int64_t bad_step = -1;  // first step whose loss was NaN, infinite or above max_loss; -1 when none
  double bad_loss = 0;         // that step's loss
};

class StepMetrics {
 public:
  explicit StepMetrics(double max_loss);

  // Adds one step's loss and accuracy (0-D tensors, any float type, on any device). No host synchronisation.
  void add(const torch::Tensor& loss, const torch::Tensor& accuracy, std::int64_t step, std::int64_t images);

  // Reads the totals since the last take() (one host synchronisation) and resets them.
  MetricTotals take();

  std::int64_t pending_steps() const { return steps_; }

 private:
  double max_loss_;
  torch::Tensor sums_;  // float64 [2]: loss, accuracy
  torch::Tensor bad_;   // float64 [2]: first bad step (-1 = none), its loss
  std::int64_t steps_ = 0, images_ = 0;
};

}  // namespace fv
