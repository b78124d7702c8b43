// Shared pieces of the torch benchmarks (train, embed): the device option and timing.
#pragma once

#include <torch/torch.h>

#include <functional>
#include <string>
#include <vector>

#include "core/options.h"
#include "model/backbone.h"
#include "model/torch_runtime.h"

namespace fv::bench {

const EnumNames<DeviceKind>& device_names();    // auto, cpu, cuda

// Waits for the device's queued work (CUDA) so that a clock read after it measures finished work.
void synchronize(const c10::Device& device);

// The backbones named by a list option (space or comma separated); ConfigError naming `key` for an unknown one.
std::vector<BackboneKind> parse_backbones(const std::vector<std::string>& values, const std::string& key);

// Sets the batch-norm running statistics of a randomly initialised `net` from one training-mode pass over random
// inputs [batch, shape...], as a trained net has them: with the initial statistics (mean 0, variance 1) the
// residual sums of a deep random iResNet grow to infinity in eval mode (iResNet-100 at 112x112, measured), which
// an inference benchmark would time as garbage. Leaves the net in eval mode with its momentum unchanged.
void calibrate_batch_norm(Backbone& net, std::vector<std::int64_t> input_shape);

// Measures every backbone x batch case: prints "<setting>: <rate> img/s" and a RESULT line for `stage`/`program`.
// On CUDA a case that fails inside LibTorch (out of memory for a large batch) is reported and the sweep goes on;
// on the CPU the error propagates.
void sweep_cases(const std::string& stage, const std::string& program, const std::vector<BackboneKind>& kinds,
                 const std::vector<int>& batches, int threads, const c10::Device& device,
                 const std::function<std::string(BackboneKind, int)>& setting,
                 const std::function<double(BackboneKind, int)>& rate);

}  // namespace fv::bench
