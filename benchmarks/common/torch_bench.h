// Shared pieces of the torch benchmarks (train, embed): device and precision options, CUDA autocast, timing.
#pragma once

#include <torch/torch.h>

#include <string>

#include "core/options.h"
#include "model/torch_runtime.h"

namespace fv::bench {

// Mixed precision of the backbone's forward on CUDA (the classifier head always computes in fp32).
enum class Precision { kOff, kBf16, kFp16 };
const EnumNames<Precision>& precision_names();  // off, bf16, fp16
const EnumNames<DeviceKind>& device_names();    // auto, cpu, cuda

// CUDA autocast to bf16/fp16 for the scope's lifetime (LibTorch 1.13 and 2.x APIs). Does nothing for kOff or
// when `cuda` is false (CPU autocast is not what the GPU machine runs).
class AutocastScope {
 public:
  AutocastScope(Precision precision, bool cuda);
  ~AutocastScope();
  AutocastScope(const AutocastScope&) = delete;
  AutocastScope& operator=(const AutocastScope&) = delete;

 private:
  bool active_;
};

// Waits for the device's queued work (CUDA) so that a clock read after it measures finished work.
void synchronize(const c10::Device& device);

// Converts every 4-D parameter and buffer of `module` to channels-last memory format (in place).
void to_channels_last(torch::nn::Module& module);

}  // namespace fv::bench
