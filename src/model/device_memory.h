// Memory layouts and host buffers for feeding a network on a device: channels-last (NHWC) weights and inputs,
// and page-locked (pinned) host buffers for asynchronous host-to-device copies. Shared by fv-train and fv-embed.
#pragma once

#include <torch/torch.h>

#include "core/batch_buffer.h"
#include "core/options.h"

namespace fv {

// auto: channels-last on CUDA (what tensor-core convolutions read), contiguous NCHW on the CPU.
enum class MemoryFormatMode { kAuto, kContiguous, kChannelsLast };
const EnumNames<MemoryFormatMode>& memory_format_names();  // auto, contiguous, channels_last
bool use_channels_last(MemoryFormatMode mode, const torch::Device& device);

// Converts the 4-D parameters and buffers (convolution kernels) of a module to channels-last in place, so that
// they match channels-last inputs (torch::nn::Module::to has no memory-format argument in C++).
void to_channels_last(torch::nn::Module& module);

// A BatchAllocator that hands out pinned memory from LibTorch's caching host allocator; the buffer's owner is
// the std::shared_ptr<torch::Tensor> of that memory (pinned_tensor() gets it back). Requires CUDA.
BatchAllocator pinned_batch_allocator();
// The pinned tensor behind a buffer made by pinned_batch_allocator(); undefined for any other buffer.
torch::Tensor pinned_tensor(const BatchBuffer& buffer);

}  // namespace fv
