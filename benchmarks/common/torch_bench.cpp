// Device and precision options, autocast and synchronisation for the torch benchmarks.
#include "common/torch_bench.h"

#include <ATen/autocast_mode.h>

namespace fv::bench {

#if defined(TORCH_VERSION_MAJOR) && (TORCH_VERSION_MAJOR > 2 || (TORCH_VERSION_MAJOR == 2 && TORCH_VERSION_MINOR >= 4))
#define FV_BENCH_AUTOCAST_2_4 1
#endif

const EnumNames<Precision>& precision_names() {
  static const EnumNames<Precision> names{{"off", Precision::kOff}, {"bf16", Precision::kBf16}, {"fp16", Precision::kFp16}};
  return names;
}

const EnumNames<DeviceKind>& device_names() {
  static const EnumNames<DeviceKind> names{{"auto", DeviceKind::kAuto}, {"cpu", DeviceKind::kCpu}, {"cuda", DeviceKind::kCuda}};
  return names;
}

AutocastScope::AutocastScope(Precision precision, bool cuda) : active_(precision != Precision::kOff && cuda) {
  if (!active_) return;
  const auto dtype = precision == Precision::kBf16 ? at::kBFloat16 : at::kHalf;
#ifdef FV_BENCH_AUTOCAST_2_4
  at::autocast::set_autocast_dtype(at::kCUDA, dtype);
  at::autocast::set_autocast_enabled(at::kCUDA, true);
#else
  at::autocast::set_autocast_gpu_dtype(dtype);
  at::autocast::set_enabled(true);
#endif
  at::autocast::increment_nesting();
}

AutocastScope::~AutocastScope() {
  if (!active_) return;
  if (at::autocast::decrement_nesting() == 0) at::autocast::clear_cache();
#ifdef FV_BENCH_AUTOCAST_2_4
  at::autocast::set_autocast_enabled(at::kCUDA, false);
#else
  at::autocast::set_enabled(false);
#endif
}

void synchronize(const c10::Device& device) {
  if (device.is_cuda()) torch::cuda::synchronize(device.has_index() ? device.index() : -1);
}

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters()) {
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  }
  for (auto& b : module.buffers()) {
    if (b.dim() == 4) b.set_data(b.contiguous(torch::MemoryFormat::ChannelsLast));
  }
}

}  // namespace fv::bench
