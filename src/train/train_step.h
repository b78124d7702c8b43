// One optimisation step of fv-train: backbone forward (under autocast on CUDA), the classifier head's fp32
// margin logits and loss, backward (loss-scaled for fp16), the gradient hook (distributed all-reduce),
// clipping and the optimiser step. It never waits for the device, except fp16's one overflow check per step.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <functional>
#include <vector>

#include "train/loss_scaler.h"
#include "train/train_config.h"

namespace fv {

class Backbone;
class ClassifierHeadImpl;

struct StepOptions {
  AmpMode amp = AmpMode::kOff;  // bf16/fp16 need a CUDA device
  double clip_grad_norm = 0.0;  // 0 = off
};

struct StepResult {
  torch::Tensor loss;      // 0-D fp32, on the device (not yet read)
  torch::Tensor accuracy;  // 0-D, top-1 on the batch with the margin logits, on the device
  double lambda = 0.0;     // L-Softmax annealing weight used
  bool applied = true;     // false when fp16 overflowed and the step was skipped
};

class TrainStep {
 public:
  // The modules, optimiser and params (the gradients clipped and checked) must outlive the step.
  TrainStep(Backbone& backbone, ClassifierHeadImpl& head, torch::optim::Optimizer& optimizer,
            std::vector<torch::Tensor> params, StepOptions options);

  // Runs one step on a batch already on the training device; the learning rate must already be set.
  // images [N, C, H, W] float (any memory format), labels int64 [N]. Throws DataError on bad shapes (head).
  StepResult run(const torch::Tensor& images, const torch::Tensor& labels, std::int64_t iteration);

  // Called after backward and before unscaling, clipping and the step: the distributed gradient all-reduce.
  void set_gradient_hook(std::function<void()> hook) { gradient_hook_ = std::move(hook); }

  LossScaler& scaler() { return scaler_; }

 private:
  Backbone& backbone_;
  ClassifierHeadImpl& head_;
  torch::optim::Optimizer& optimizer_;
  std::vector<torch::Tensor> params_;
  StepOptions options_;
  LossScaler scaler_;
  std::function<void()> gradient_hook_;
};

}  // namespace fv
