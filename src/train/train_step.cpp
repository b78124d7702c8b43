// TrainStep: autocast, fp32 head, scaled backward, gradient hook, clipping, optimiser step.
#include "train/train_step.h"

#include "core/check.h"
#include "core/error.h"
#include "model/backbone.h"
#include "model/torch_compat.h"
#include "dist/process_group.h"

namespace fv {
namespace {

// Squared L2 norms of the defined gradients, summed on the device (undefined when there is none).
torch::Tensor squared_grad_norm(const std::vector<torch::Tensor>& params) {
  torch::Tensor sum;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    const auto sq = p.grad().norm(2).pow(2);
    sum = sum.defined() ? sum + sq : sq;
  }
  return sum;
}

void scale_grads(const std::vector<torch::Tensor>& params, const torch::Tensor& coef) {
  for (const auto& p : params)
    if (p.grad().defined()) p.grad().mul_(coef);
}

}  // namespace

TrainStep::TrainStep(Backbone& backbone, HeadForward head, std::vector<torch::optim::Optimizer*> optimizers,
                     std::vector<torch::Tensor> params, StepOptions options)
    : backbone_(backbone),
      head_(std::move(head)),
      optimizers_(std::move(optimizers)),
      params_(std::move(params)),
      options_(std::move(options)) {
  FV_CHECK(!optimizers_.empty(), ConfigError, "a training step needs an optimiser");
}

// The global L2 norm of every gradient, clipped as torch::nn::utils::clip_grad_norm_ (coefficient
// max_norm / (norm + 1e-6), capped at 1) but without its final `.item()`, which would make every step wait for
// the device. The shards' squared norms are summed over ranks, so every rank scales by the same coefficient.
void TrainStep::clip_gradients() {
  torch::NoGradGuard no_grad;
  torch::Tensor total;
  if (options_.sharded.empty()) {
    // LibTorch's own arithmetic (the norm of the stacked norms), so that a single process clips bit for bit
    // as clip_grad_norm_ does.
    std::vector<torch::Tensor> norms;
    for (const auto& p : params_)
      if (p.grad().defined()) norms.push_back(p.grad().norm(2));
    if (norms.empty()) return;
    total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  } else {
    torch::Tensor sharded = squared_grad_norm(options_.sharded);
    if (!sharded.defined()) sharded = torch::zeros({}, options_.sharded.front().options());
    sharded = sharded.to(torch::kFloat32).reshape({1}).contiguous();
    if (options_.comm) options_.comm->allreduce_sum_(sharded);
    torch::Tensor replicated = squared_grad_norm(params_);
    total = (replicated.defined() ? sharded[0] + replicated.to(torch::kFloat32) : sharded[0]).sqrt();
  }
  const auto coef = (options_.clip_grad_norm / (total + 1e-6)).clamp_max(1.0);
  scale_grads(params_, coef);
  scale_grads(options_.sharded, coef);
}

StepResult TrainStep::run(const torch::Tensor& images, const torch::Tensor& labels, std::int64_t iteration) {
  FV_CHECK(options_.amp != AmpMode::kFp16 || images.is_cuda(), ConfigError,
           "train.amp fp16 needs a CUDA device (bf16 runs on the CPU too)");
  torch::Tensor features;
  {  // the backbone under autocast; the head casts its input up to fp32 itself
    const AutocastGuard autocast(images.device().type(), options_.amp == AmpMode::kBf16 ? at::kBFloat16 : at::kHalf,
                                 options_.amp != AmpMode::kOff);
    features = backbone_.forward(images);
  }
  const HeadResult out = head_(features, labels, iteration);  // fp32 logits and loss
  for (auto* o : optimizers_) o->zero_grad();
  const bool fp16 = options_.amp == AmpMode::kFp16;
  (fp16 ? scaler_.scale(out.loss) : out.loss).backward();
  if (gradient_hook_) gradient_hook_();
  StepResult r;
  r.loss = out.loss.detach();
  r.accuracy = out.accuracy.detach();
  r.lambda = out.lambda;
  // fp16: unscale first, so that clipping sees the true gradients; an overflow on any rank skips the step on all.
  if (fp16) {
    std::vector<torch::Tensor> all = params_;
    all.insert(all.end(), options_.sharded.begin(), options_.sharded.end());
    Communicator* comm = options_.comm;
    r.applied = scaler_.unscale_and_update(all, [comm](torch::Tensor& flag) {
      if (comm) comm->allreduce_max_(flag);
    });
  }
  if (r.applied) {
    if (options_.clip_grad_norm > 0) clip_gradients();
    for (auto* o : optimizers_) o->step();
  }
  return r;
}

}  // namespace fv
