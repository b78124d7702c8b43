// TrainStep: autocast, fp32 head, scaled backward, gradient hook, clipping, optimiser step.
#include "train/train_step.h"

#include <ATen/autocast_mode.h>

#include "core/check.h"
#include "core/error.h"
#include "model/backbone.h"
#include "train/classifier_head.h"
#include "train/cross_entropy.h"

namespace fv {
namespace {

// CUDA autocast for the backbone's forward (the head casts its input up to fp32 itself).
class AutocastScope {
 public:
  AutocastScope(AmpMode mode, bool cuda) : active_(mode != AmpMode::kOff && cuda) {
    if (!active_) return;
    const auto dtype = mode == AmpMode::kBf16 ? at::kBFloat16 : at::kHalf;
#if defined(TORCH_VERSION_MAJOR) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))
    at::autocast::set_autocast_dtype(at::kCUDA, dtype);
    at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
    at::autocast::set_autocast_gpu_dtype(dtype);
    at::autocast::set_enabled(true);
#endif
    at::autocast::increment_nesting();
  }
  ~AutocastScope() {
    if (!active_) return;
    if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#if defined(TORCH_VERSION_MAJOR) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))
    at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
    at::autocast::set_enabled(false);
#endif
  }
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_;
};

// torch::nn::utils::clip_grad_norm_ (global L2 norm, coefficient max_norm / (norm + 1e-6) capped at 1) without
// its final `.item()`, which would make every step wait for the device.
void clip_grad_norm_on_device(const std::vector<torch::Tensor>& params, double max_norm) {
  torch::NoGradGuard no_grad;
  std::vector<torch::Tensor> grads, norms;
  for (const auto& p : params) {
    if (!p.grad().defined()) continue;
    grads.push_back(p.grad());
    norms.push_back(p.grad().norm(2));
  }
  if (grads.empty()) return;
  const auto total = norms.size() == 1 ? norms[0] : torch::stack(norms).norm(2);
  const auto coef = (max_norm / (total + 1e-6)).clamp_max(1.0);
  for (auto& g : grads) g.mul_(coef);
}

}  // namespace

TrainStep::TrainStep(Backbone& backbone, ClassifierHeadImpl& head, torch::optim::Optimizer& optimizer,
                     std::vector<torch::Tensor> params, StepOptions options)
    : backbone_(backbone), head_(head), optimizer_(optimizer), params_(std::move(params)), options_(options) {}

StepResult TrainStep::run(const torch::Tensor& images, const torch::Tensor& labels, std::int64_t iteration) {
  const bool cuda = images.is_cuda();
  FV_CHECK(options_.amp == AmpMode::kOff || cuda, ConfigError, "train.amp needs a CUDA device");
  torch::Tensor features;
  {
    AutocastScope autocast(options_.amp, cuda);
    features = backbone_.forward(images);
  }
  const HeadOutput out = head_.forward(features, labels, iteration);  // fp32 logits and loss
  optimizer_.zero_grad();
  const bool fp16 = options_.amp == AmpMode::kFp16;
  (fp16 ? scaler_.scale(out.loss) : out.loss).backward();
  if (gradient_hook_) gradient_hook_();
  StepResult r;
  r.loss = out.loss.detach();
  r.lambda = out.lambda;
  {
    torch::NoGradGuard no_grad;
    r.accuracy = top1_accuracy(out.logits.detach(), labels);
  }
  // fp16: unscale first, so that clipping sees the true gradients; an overflow skips the step.
  r.applied = !fp16 || scaler_.unscale_and_update(params_);
  if (r.applied) {
    if (options_.clip_grad_norm > 0) clip_grad_norm_on_device(params_, options_.clip_grad_norm);
    optimizer_.step();
  }
  return r;
}

}  // namespace fv
