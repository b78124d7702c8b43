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
class Communicator;

// What the loss head gives a step: the loss to backward and the batch's top-1 accuracy (both 0-D, on the device).
struct HeadResult {
  torch::Tensor loss;
  torch::Tensor accuracy;
  double lambda = 0.0;  // L-Softmax annealing weight used (0 for other losses)
};
// The classifier head of the run: the replicated ClassifierHead or the sharded Partial FC (see trainer.cpp).
using HeadForward = std::function<HeadResult(const torch::Tensor& features, const torch::Tensor& labels,
                                             std::int64_t iteration)>;

struct StepOptions {
  AmpMode amp = AmpMode::kOff;  // bf16: CPU or CUDA; fp16 (with the loss scaler): CUDA
  double clip_grad_norm = 0.0;  // 0 = off
  // Data parallelism: parameters whose gradients differ between ranks (the Partial FC shard; the others are
  // equal on every rank after the gradient hook's all-reduce) and the communicator over which the global
  // gradient norm and the fp16 overflow flag are agreed. Null / empty for a single process.
  std::vector<torch::Tensor> sharded;
  Communicator* comm = nullptr;
};

struct StepResult {
  torch::Tensor loss;      // 0-D fp32, on the device (not yet read)
  torch::Tensor accuracy;  // 0-D, top-1 on the batch with the margin logits, on the device
  double lambda = 0.0;     // L-Softmax annealing weight used
  bool applied = true;     // false when fp16 overflowed and the step was skipped
};

class TrainStep {
 public:
  // The backbone and optimisers must outlive the step. `params`: every trained parameter of the optimisers
  // except options.sharded (gradients clipped and checked).
  TrainStep(Backbone& backbone, HeadForward head, std::vector<torch::optim::Optimizer*> optimizers,
            std::vector<torch::Tensor> params, StepOptions options);

  // Runs one step on a batch already on the training device; the learning rate must already be set.
  // images [N, C, H, W] float (any memory format), labels int64 [N]. Throws DataError on bad shapes (head).
  StepResult run(const torch::Tensor& images, const torch::Tensor& labels, std::int64_t iteration);

  // Called after backward and before unscaling, clipping and the step: the distributed gradient all-reduce.
  void set_gradient_hook(std::function<void()> hook) { gradient_hook_ = std::move(hook); }

  LossScaler& scaler() { return scaler_; }

 private:
  void clip_gradients();

  Backbone& backbone_;
  HeadForward head_;
  std::vector<torch::optim::Optimizer*> optimizers_;
  std::vector<torch::Tensor> params_;
  StepOptions options_;
  LossScaler scaler_;
  std::function<void()> gradient_hook_;
};

}  // namespace fv
