// Training images/s per backbone and batch size: fv-train's own step (fv::TrainStep: autocast forward, the
// ClassifierHead with ArcFace in fp32, backward with dynamic loss scaling for fp16, SGD), on synthetic images and
// labels already on the device.
//
//   fv_train_benchmark [--backbone iresnet50,mobilefacenet] [--batch 128,256] [--device auto|cpu|cuda]
//                      [--amp off|bf16|fp16] [--channels_last] [--classes 10572] [--size 112]
//                      [--steps 10] [--warmup 3] [--threads 0]
// Defaults follow insightface's arcface_torch (ArcFace m = 0.5, s = 64; SGD lr 0.1, momentum 0.9, weight decay
// 5e-4; 10,572 classes = CASIA-WebFace). fp16 includes the loss scaler's one overflow check per step, as in
// fv-train. On CUDA the clock is read only after torch::cuda::synchronize(), and the caching allocator's peak
// (tensors, warm-up included) is printed per image. Fixed seed. A batch that does not fit in memory is reported
// and skipped.
#include <torch/torch.h>

#include <chrono>
#include <cmath>
#include <cstring>
#include <fmt/format.h>

#include "common/list_option.h"
#include "common/machine_info.h"
#include "common/torch_bench.h"
#include "common/torch_info.h"
#include "core/check.h"
#include "core/cli.h"
#include "core/options.h"
#include "core/runtime.h"
#include "model/backbone.h"
#include "model/torch_runtime.h"
#include "model/device_memory.h"
#include "train/classifier_head.h"
#include "train/loss_heads.h"
#include "train/train_step.h"

namespace {

using Clock = std::chrono::steady_clock;

struct TrainBenchConfig {
  std::vector<std::string> backbones{"iresnet50", "mobilefacenet"};
  std::vector<std::string> batches{"128", "256"};
  fv::DeviceKind device = fv::DeviceKind::kAuto;
  fv::AmpMode amp = fv::AmpMode::kOff;
  bool channels_last = false;
  std::int64_t classes = 10572;
  int size = 112;
  int steps = 10;
  int warmup = 3;
  int threads = 0;

  void bind(fv::OptionSet& o) {
    o.add("backbone", &backbones, "backbones (space or comma separated): sphereface20, iresnet18/50/100, mobilefacenet, ...");
    o.add("batch", &batches, "batch sizes (space or comma separated)");
    o.add_enum("device", &device, fv::bench::device_names(), "auto (CUDA when present), cpu or cuda");
    o.add_enum("amp", &amp, fv::amp_mode_names(), "autocast of the backbone: off, bf16 (CPU or CUDA) or fp16 (CUDA, with the loss scaler)");
    o.add("channels_last", &channels_last, "channels-last memory format for the backbone and the images");
    o.add("classes", &classes, "classes of the ArcFace head (10572 = CASIA-WebFace)");
    o.add("size", &size, "input side in pixels (size x size x 3)");
    o.add("steps", &steps, "timed steps per case");
    o.add("warmup", &warmup, "untimed steps before timing (allocator, cuDNN autotuning)");
    o.add("threads", &threads, "CPU intra-op threads (0: OMP_NUM_THREADS or every available core)");
  }
  void validate() const {
    FV_CHECK(classes > 1, fv::ConfigError, "config key 'classes' must be > 1, got {}", classes);
    FV_CHECK(size >= 16, fv::ConfigError, "config key 'size' must be >= 16, got {}", size);
    FV_CHECK(steps > 0, fv::ConfigError, "config key 'steps' must be positive, got {}", steps);
    FV_CHECK(warmup >= 0, fv::ConfigError, "config key 'warmup' must be >= 0, got {}", warmup);
  }
};

// Images/s of `steps` training steps (after `warmup` untimed ones).
double train_rate(fv::BackboneKind kind, int batch, const TrainBenchConfig& c, const c10::Device& device) {
  torch::manual_seed(0);
  auto net = fv::make_backbone(fv::BackboneOptions(kind).in_channels(3).input_height(c.size).input_width(c.size));
  fv::ClassifierHead head(fv::HeadOptions(c.classes, net->options().embedding_dim()).kind(fv::MarginKind::kArcFace).m(0.5).s(64));
  net->to(device);
  head->to(device);
  if (c.channels_last) fv::to_channels_last(*net);
  std::vector<torch::Tensor> params = net->parameters();
  for (const auto& p : head->parameters()) params.push_back(p);
  torch::optim::SGD sgd(params, torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(5e-4));
  net->train();
  head->train();
  auto images = torch::randn({batch, 3, c.size, c.size}, torch::TensorOptions().device(device));
  if (c.channels_last) images = images.contiguous(torch::MemoryFormat::ChannelsLast);
  const auto labels = torch::randint(0, c.classes, {batch}, torch::TensorOptions().dtype(torch::kLong).device(device));
  fv::StepOptions so;
  so.amp = c.amp;
  fv::TrainStep train_step(*net, fv::full_head_forward(head), {&sgd}, params, so);
  std::int64_t iteration = 0;
  auto step = [&] { return train_step.run(images, labels, iteration++).loss; };
  fv::bench::reset_peak_device_memory(device);
  for (int i = 0; i < c.warmup; ++i) step();
  fv::bench::synchronize(device);
  const auto t0 = Clock::now();
  torch::Tensor loss;
  for (int i = 0; i < c.steps; ++i) loss = step();
  fv::bench::synchronize(device);
  const double seconds = std::chrono::duration<double>(Clock::now() - t0).count();
  const double last = loss.item<double>();
  FV_CHECK(std::isfinite(last), fv::DataError, "training loss is not finite ({}) for batch {}", last, batch);
  fv::bench::print_peak_memory("train", "fv_train_benchmark", fv::backbone_kind_name(kind), batch, device);
  return batch * c.steps / seconds;
}

}  // namespace

int main(int argc, char** argv) {
  return fv::run_main("fv_train_benchmark", [&] {
    fv::tune_allocator();
    fv::OptionSet o("fv_train_benchmark", "training images/s per backbone and batch size (ArcFace head + SGD)");
    TrainBenchConfig c;
    c.bind(o);
    if (!o.parse(argc, argv)) return 0;
    c.validate();
    const auto batches = fv::bench::split_int_list(c.batches, "batch");
    const auto kinds = fv::bench::parse_backbones(c.backbones, "backbone");
    const int threads = fv::configure_torch_threads(c.threads);
    const c10::Device device = fv::select_device(c.device);
    FV_CHECK(c.amp != fv::AmpMode::kFp16 || device.is_cuda(), fv::ConfigError,
             "config key 'amp' = {} needs a CUDA device (device is {})", fv::enum_name(fv::amp_mode_names(), c.amp),
             device.str());
    const std::string device_text = fv::bench::torch_device_summary(device);
    fv::bench::print_machine_line(std::to_string(threads), device_text);
    const std::string precision = fv::enum_name(fv::amp_mode_names(), c.amp);
    fmt::print("ArcFace head {} classes, input {}x{}x3, SGD, precision {}{}, {} warm-up + {} timed steps\n", c.classes,
               c.size, c.size, precision, c.channels_last ? ", channels-last" : "", c.warmup, c.steps);
    fv::bench::sweep_cases(
        "train", "fv_train_benchmark", kinds, batches, threads, device,
        [&](fv::BackboneKind kind, int batch) {
          return fmt::format("{} batch {} {}{}{}", fv::backbone_kind_name(kind), batch, device.is_cuda() ? "cuda" : "cpu",
                             device.is_cuda() || c.amp != fv::AmpMode::kOff ? " " + precision : "", c.channels_last ? " channels-last" : "");
        },
        [&](fv::BackboneKind kind, int batch) { return train_rate(kind, batch, c, device); });
    return 0;
  });
}
