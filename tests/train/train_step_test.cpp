// The pieces of a training step that avoid host synchronisation: the fp16 loss scaler, the device-side
// metrics with divergence detection, device clipping (against LibTorch's clip_grad_norm_), and the batch stager;
// and, once per device (CPU, and CUDA where a GPU is visible), channels-last, bf16 and fp16 training against fp32.
#include "train/train_step.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <cmath>
#include <limits>

#include "core/error.h"
#include "model/backbone.h"
#include "model/torch_compat.h"
#include "support/margin.h"
#include "support/on_device.h"
#include "train/classifier_head.h"
#include "train/cross_entropy.h"
#include "train/device_batch.h"
#include "train/loss_heads.h"
#include "train/loss_scaler.h"
#include "train/step_metrics.h"

namespace fv {
namespace {

torch::Tensor param_with_grad(std::vector<float> grad) {
  auto p = torch::zeros({static_cast<std::int64_t>(grad.size())}).requires_grad_();
  p.mutable_grad() = torch::tensor(grad);
  return p;
}

TEST(LossScaler, UnscalesAndGrowsAfterTheIntervalOfFiniteSteps) {
  LossScalerOptions o;
  o.initial_scale = 8;
  o.growth_interval = 3;
  LossScaler scaler(o);
  EXPECT_FLOAT_EQ(scaler.scale(torch::tensor(1.5f)).item<float>(), 12.f);
  auto p = param_with_grad({8, -16});
  EXPECT_TRUE(scaler.unscale_and_update({p}));
  EXPECT_FLOAT_EQ(p.grad()[0].item<float>(), 1.f);
  EXPECT_FLOAT_EQ(p.grad()[1].item<float>(), -2.f);
  EXPECT_EQ(scaler.growth_tracker(), 1);
  EXPECT_TRUE(scaler.unscale_and_update({p}));
  EXPECT_DOUBLE_EQ(scaler.value(), 8);
  EXPECT_TRUE(scaler.unscale_and_update({p}));  // third finite step in a row: the scale doubles
  EXPECT_DOUBLE_EQ(scaler.value(), 16);
  EXPECT_EQ(scaler.growth_tracker(), 0);
}

TEST(LossScaler, AnOverflowSkipsTheStepAndHalvesTheScale) {
  LossScaler scaler;
  auto ok = param_with_grad({1, 2});
  auto bad = param_with_grad({std::numeric_limits<float>::infinity(), 0});
  auto nan = param_with_grad({std::nanf("")});
  EXPECT_TRUE(scaler.unscale_and_update({ok}));
  EXPECT_FALSE(scaler.unscale_and_update({ok, bad}));
  EXPECT_DOUBLE_EQ(scaler.value(), 32768);
  EXPECT_EQ(scaler.growth_tracker(), 0);
  EXPECT_FALSE(scaler.unscale_and_update({nan}));
  EXPECT_DOUBLE_EQ(scaler.value(), 16384);
  scaler.restore(512, 7);
  EXPECT_DOUBLE_EQ(scaler.value(), 512);
  EXPECT_EQ(scaler.growth_tracker(), 7);
}

TEST(StepMetrics, MeansOverTheStepsSinceTheLastRead) {
  StepMetrics m(100);
  m.add(torch::tensor(1.f), torch::tensor(0.25f), 0, 16);
  m.add(torch::tensor(2.f), torch::tensor(0.5f), 1, 16);
  m.add(torch::tensor(4.5f), torch::tensor(0.75f), 2, 8);
  const MetricTotals t = m.take();
  EXPECT_EQ(t.steps, 3);
  EXPECT_EQ(t.images, 40);
  EXPECT_DOUBLE_EQ(t.mean_loss, 2.5);
  EXPECT_DOUBLE_EQ(t.mean_accuracy, 0.5);
  EXPECT_EQ(t.bad_step, -1);
  m.add(torch::tensor(3.f), torch::tensor(1.f), 3, 16);
  const MetricTotals u = m.take();  // the first read reset the sums
  EXPECT_EQ(u.steps, 1);
  EXPECT_DOUBLE_EQ(u.mean_loss, 3);
}

TEST(StepMetrics, TheFirstNaNInfiniteOrTooLargeLossIsReported) {
  StepMetrics m(10);
  m.add(torch::tensor(1.f), torch::tensor(0.f), 4, 1);
  m.add(torch::tensor(std::nanf("")), torch::tensor(0.f), 5, 1);
  m.add(torch::tensor(std::numeric_limits<float>::infinity()), torch::tensor(0.f), 6, 1);
  const MetricTotals t = m.take();
  EXPECT_EQ(t.bad_step, 5);
  EXPECT_TRUE(std::isnan(t.bad_loss));
  m.add(torch::tensor(1.f), torch::tensor(0.f), 7, 1);
  m.add(torch::tensor(11.f), torch::tensor(0.f), 8, 1);  // finite but above max_loss
  const MetricTotals u = m.take();
  EXPECT_EQ(u.bad_step, 8);
  EXPECT_DOUBLE_EQ(u.bad_loss, 11);
  m.add(torch::tensor(1.f), torch::tensor(0.f), 9, 1);
  EXPECT_EQ(m.take().bad_step, -1);
}

struct Net {
  std::shared_ptr<Backbone> backbone;
  ClassifierHead head{nullptr};
  std::unique_ptr<torch::optim::SGD> optimizer;
  std::vector<torch::Tensor> params;
};

// The CIFAR network (3 channels: with 1 channel, NCHW and NHWC are the same layout), on `device`.
Net make_net(const torch::Device& device = torch::kCPU) {
  torch::manual_seed(3);
  Net n;
  n.backbone = make_backbone(BackboneOptions(BackboneKind::kCifarNet).embedding_dim(8));
  n.head = ClassifierHead(HeadOptions(10, 8).kind(MarginKind::kArcFace));
  n.backbone->to(device);
  n.head->to(device);
  for (const auto& p : n.backbone->parameters()) n.params.push_back(p);
  for (const auto& p : n.head->parameters()) n.params.push_back(p);
  n.optimizer = std::make_unique<torch::optim::SGD>(n.params, torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(5e-4));
  return n;
}

std::pair<torch::Tensor, torch::Tensor> batch(const torch::Device& device = torch::kCPU) {
  torch::manual_seed(11);
  return {torch::randn({6, 3, 32, 32}).to(device), torch::tensor({0, 3, 3, 7, 9, 1}, torch::kInt64).to(device)};
}

TEST(TrainStep, EqualsTheReferenceStepWithLibTorchsClipping) {
  const auto [images, labels] = batch();
  Net a = make_net(), b = make_net();
  StepOptions o;
  o.clip_grad_norm = 0.5;  // small enough to clip
  TrainStep step(*a.backbone, full_head_forward(a.head), {a.optimizer.get()}, a.params, o);
  for (int k = 0; k < 2; ++k) {
    const StepResult r = step.run(images, labels, k);
    // Reference: the same step written out with LibTorch's own clip_grad_norm_.
    const HeadOutput out = b.head->forward(b.backbone->forward(images), labels, k);
    b.optimizer->zero_grad();
    out.loss.backward();
    torch::nn::utils::clip_grad_norm_(b.params, 0.5);
    b.optimizer->step();
    EXPECT_TRUE(r.applied);
    EXPECT_EQ(r.loss.item<float>(), out.loss.item<float>());
    EXPECT_FLOAT_EQ(r.accuracy.item<float>(), top1_accuracy(out.logits, labels).item<float>());
  }
  for (std::size_t i = 0; i < a.params.size(); ++i) EXPECT_TRUE(torch::equal(a.params[i], b.params[i])) << i;
}

// Cosine similarity of two nets' whole gradients (every parameter, in double).
double gradient_cosine(const Net& a, const Net& b) {
  double dot = 0, na = 0, nb = 0;
  for (std::size_t i = 0; i < a.params.size(); ++i) {
    const auto ga = a.params[i].grad().to(torch::kDouble), gb = b.params[i].grad().to(torch::kDouble);
    dot += (ga * gb).sum().item<double>();
    na += ga.pow(2).sum().item<double>();
    nb += gb.pow(2).sum().item<double>();
  }
  return dot / std::sqrt(na * nb);
}

// Copies of every parameter's values.
std::vector<torch::Tensor> snapshot(const Net& n) {
  std::vector<torch::Tensor> copies;
  for (const auto& p : n.params) copies.push_back(p.detach().clone());
  return copies;
}

// The device-dependent paths of a step (autocast, the loss scaler, channels-last), on the CPU and on CUDA where a
// GPU is visible (scripts/gpu-check.sh). Every comparison is against the same net trained in fp32 NCHW.
class TrainStepOnDevice : public testing::OnDevice {};

TEST_P(TrainStepOnDevice, ChannelsLastTrainsLikeContiguous) {
  const auto [images, labels] = batch(device());
  Net a = make_net(device()), b = make_net(device());
  to_channels_last(*b.backbone);
  TrainStep sa(*a.backbone, full_head_forward(a.head), {a.optimizer.get()}, a.params, {});
  TrainStep sb(*b.backbone, full_head_forward(b.head), {b.optimizer.get()}, b.params, {});
  const auto nhwc = images.contiguous(torch::MemoryFormat::ChannelsLast);
  ASSERT_FALSE(nhwc.is_contiguous());
  const auto ra = sa.run(images, labels, 0), rb = sb.run(nhwc, labels, 0);
  // The same arithmetic in another order: equal to float rounding (ArcFace's s = 64 makes the loss ~12).
  EXPECT_NEAR(ra.loss.item<float>(), rb.loss.item<float>(), 1e-5 * ra.loss.item<float>());
  // Gradients, relative to the whole gradient's norm (per element, the conv biases before BN have a true gradient
  // of 0 and pure-rounding values). A wrong layout gives O(1); LibTorch 1.13's CPU channels-last kernels round
  // more than its NCHW ones: against float64, python3-torch 1.13 on this net gives 3.5e-4 (NHWC) vs 1.7e-6 (NCHW).
  std::vector<torch::Tensor> ga, gb;
  for (std::size_t i = 0; i < a.params.size(); ++i) {
    ga.push_back(a.params[i].grad().flatten());
    gb.push_back(b.params[i].grad().contiguous().flatten());
  }
  const auto diff = (torch::cat(ga) - torch::cat(gb)).norm().item<double>() / torch::cat(ga).norm().item<double>();
  // Measured under the Haswell, SkylakeX, Cooperlake and Zen kernels (scripts/check-numerics.sh): 1.33e-3 (margin 3.7).
  EXPECT_TRUE(testing::below("relative_gradient_difference", diff, 5e-3));
  EXPECT_TRUE(b.backbone->parameters()[0].is_contiguous(torch::MemoryFormat::ChannelsLast));
}

// bf16 autocast is device-generic: the same code path on the CPU and on CUDA, compiled and run by every build.
TEST_P(TrainStepOnDevice, Bf16AutocastTracksFp32) {
  const auto [images, labels] = batch(device());
  Net a = make_net(device()), b = make_net(device());
  StepOptions bf16;
  bf16.amp = AmpMode::kBf16;
  TrainStep sa(*a.backbone, full_head_forward(a.head), {a.optimizer.get()}, a.params, {});
  TrainStep sb(*b.backbone, full_head_forward(b.head), {b.optimizer.get()}, b.params, bf16);
  {  // Precondition: under the guard the backbone really computes in bfloat16.
    const AutocastGuard guard(device().type(), torch::kBFloat16);
    EXPECT_EQ(b.backbone->forward(images).scalar_type(), torch::kBFloat16);
  }
  EXPECT_EQ(b.backbone->forward(images).scalar_type(), torch::kFloat);  // and no longer after it
  const auto ra = sa.run(images, labels, 0), rb = sb.run(images, labels, 0);
  EXPECT_EQ(rb.loss.scalar_type(), torch::kFloat);  // the head's loss stays fp32
  EXPECT_TRUE(rb.applied);
  // bf16 keeps 8 bits of mantissa (relative rounding 2^-9 = 2e-3 per operation).
  EXPECT_TRUE(testing::below("bf16_relative_loss_difference",
                             std::abs(ra.loss.item<double>() - rb.loss.item<double>()) / ra.loss.item<double>(), 2e-2));
  // The gradient's direction: bf16 rounding in the backward through 12 conv + BN layers under ArcFace's s = 64
  // (loss ~12) leaves element-wise differences of ~30 % in the first layers but the same descent direction.
  EXPECT_TRUE(testing::below("bf16_one_minus_gradient_cosine", 1 - gradient_cosine(a, b), 0.1));
  // Training tracks fp32: after 8 steps both losses fell, and by the same amount to ~1 %.
  StepResult la = ra, lb = rb;
  for (int k = 1; k < 8; ++k) la = sa.run(images, labels, k), lb = sb.run(images, labels, k);
  EXPECT_LT(lb.loss.item<double>(), rb.loss.item<double>());
  EXPECT_TRUE(testing::below("bf16_relative_loss_difference_after_8_steps",
                             std::abs(la.loss.item<double>() - lb.loss.item<double>()) / la.loss.item<double>(), 3e-2));
}

// fp16 (10 bits of mantissa, range to 65504) trains with the dynamic loss scaler, on CUDA only; the CPU refuses it.
TEST_P(TrainStepOnDevice, Fp16AutocastWithTheLossScalerTracksFp32) {
  const auto [images, labels] = batch(device());
  Net a = make_net(device()), b = make_net(device());
  StepOptions fp16;
  fp16.amp = AmpMode::kFp16;
  TrainStep sa(*a.backbone, full_head_forward(a.head), {a.optimizer.get()}, a.params, {});
  TrainStep sb(*b.backbone, full_head_forward(b.head), {b.optimizer.get()}, b.params, fp16);
  if (!is_cuda()) {
    EXPECT_THROW(sb.run(images, labels, 0), ConfigError);
    return;
  }
  {  // Precondition: under the guard the backbone really computes in half precision.
    const AutocastGuard guard(device().type(), torch::kHalf);
    EXPECT_EQ(b.backbone->forward(images).scalar_type(), torch::kHalf);
  }
  const auto ra = sa.run(images, labels, 0), rb = sb.run(images, labels, 0);
  EXPECT_EQ(rb.loss.scalar_type(), torch::kFloat);
  EXPECT_TRUE(testing::below("fp16_relative_loss_difference",
                             std::abs(ra.loss.item<double>() - rb.loss.item<double>()) / ra.loss.item<double>(), 2e-2));
  // The scaler may skip the first steps (2^16 x the loss overflows fp16 gradients) and halve its scale until
  // they fit: compare after 8 applied fp16 updates with 8 fp32 updates (a skipped step changes nothing).
  int applied = rb.applied ? 1 : 0, runs = 1;
  StepResult lb = rb;
  while (applied < 8 && runs < 40) applied += (lb = sb.run(images, labels, runs++)).applied ? 1 : 0;
  ASSERT_EQ(applied, 8) << "the loss scaler kept skipping: scale " << sb.scaler().value();
  StepResult la = ra;
  for (int k = 1; k <= 8; ++k) la = sa.run(images, labels, k);  // the 9th forward sees 8 updates
  lb = sb.run(images, labels, runs);
  EXPECT_LT(lb.loss.item<double>(), rb.loss.item<double>());
  EXPECT_TRUE(testing::below("fp16_relative_loss_difference_after_8_updates",
                             std::abs(la.loss.item<double>() - lb.loss.item<double>()) / la.loss.item<double>(), 3e-2));
}

// An fp16 step whose scaled gradients overflow is skipped on the device: parameters untouched, scale halved; the
// next step with a scale that fits is applied.
TEST_P(TrainStepOnDevice, Fp16OverflowSkipsTheStepAndHalvesTheScale) {
  if (!is_cuda()) GTEST_SKIP() << "fp16 training runs on CUDA only (the CPU instance of the fp16 test checks the refusal)";
  const auto [images, labels] = batch(device());
  Net n = make_net(device());
  StepOptions fp16;
  fp16.amp = AmpMode::kFp16;
  TrainStep step(*n.backbone, full_head_forward(n.head), {n.optimizer.get()}, n.params, fp16);
  const auto before = snapshot(n);
  step.scaler().restore(1e38, 5);  // loss (~12) x 1e38 is infinite even in fp32
  const StepResult skipped = step.run(images, labels, 0);
  EXPECT_FALSE(skipped.applied);
  EXPECT_DOUBLE_EQ(step.scaler().value(), 5e37);
  EXPECT_EQ(step.scaler().growth_tracker(), 0);
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], n.params[i])) << i;
  step.scaler().restore(1024, 0);
  const StepResult applied = step.run(images, labels, 1);
  EXPECT_TRUE(applied.applied);
  EXPECT_TRUE(std::isfinite(applied.loss.item<double>()));
  EXPECT_FALSE(torch::equal(before[0], n.params[0]));
}

FV_INSTANTIATE_ON_DEVICES(TrainStepOnDevice);

TEST(BatchStager, CpuBatchesAreUsedInPlaceAndConvertedToChannelsLast) {
  PreprocessOptions p;
  p.width = 3;
  p.height = 2;
  p.channels = 2;
  Batch batch;
  batch.pixels = heap_batch_buffer(2 * 12);
  for (int i = 0; i < 24; ++i) batch.data()[i] = static_cast<float>(i);
  batch.floats = 24;
  batch.indices = {0, 1};
  batch.labels = {4, 2};
  const BatchStager plain(torch::kCPU, p, false), nhwc(torch::kCPU, p, true);
  EXPECT_FALSE(static_cast<bool>(plain.allocator()));  // the heap on the CPU
  const DeviceBatch a = plain.stage(batch), b = nhwc.stage(batch);
  EXPECT_EQ(a.images.data_ptr<float>(), batch.data());  // no copy
  EXPECT_EQ(a.images.sizes(), (std::vector<std::int64_t>{2, 2, 2, 3}));
  EXPECT_FLOAT_EQ(a.images[1][0][1][2].item<float>(), 12 + 5);
  EXPECT_TRUE(torch::equal(a.labels, torch::tensor({4, 2}, torch::kInt64)));
  EXPECT_TRUE(b.images.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_TRUE(torch::equal(a.images, b.images));
}

}  // namespace
}  // namespace fv
