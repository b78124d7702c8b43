// Memory layouts and pinned batch buffers: the channels-last switch, module conversion, buffer ownership.
#include "model/device_memory.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"

namespace fv {
namespace {

TEST(DeviceMemory, AutoMeansChannelsLastOnlyOnCuda) {
  EXPECT_FALSE(use_channels_last(MemoryFormatMode::kAuto, torch::kCPU));
  EXPECT_TRUE(use_channels_last(MemoryFormatMode::kAuto, torch::Device(torch::kCUDA, 0)));
  EXPECT_TRUE(use_channels_last(MemoryFormatMode::kChannelsLast, torch::kCPU));
  EXPECT_FALSE(use_channels_last(MemoryFormatMode::kContiguous, torch::Device(torch::kCUDA, 0)));
  EXPECT_EQ(parse_enum(memory_format_names(), "channels_last", "train.memory_format"), MemoryFormatMode::kChannelsLast);
  EXPECT_THROW(parse_enum(memory_format_names(), "nhwc", "train.memory_format"), ConfigError);
}

TEST(DeviceMemory, ToChannelsLastConvertsConvolutionKernelsKeepingValues) {
  torch::nn::Sequential net(torch::nn::Conv2d(torch::nn::Conv2dOptions(3, 4, 3)), torch::nn::BatchNorm2d(4),
                            torch::nn::Flatten(), torch::nn::Linear(4 * 6 * 6, 2));
  const auto before = net->parameters()[0].clone();
  to_channels_last(*net);
  const auto kernel = net->parameters()[0];
  EXPECT_TRUE(kernel.is_contiguous(torch::MemoryFormat::ChannelsLast));
  EXPECT_FALSE(kernel.is_contiguous());
  EXPECT_TRUE(torch::equal(kernel, before));
  EXPECT_TRUE(net->parameters()[1].is_contiguous());  // 1-D bias untouched
}

TEST(DeviceMemory, PinnedTensorIsUndefinedForHeapBuffers) {
  const BatchBuffer heap = heap_batch_buffer(10);
  EXPECT_FALSE(heap.pinned);
  EXPECT_FALSE(pinned_tensor(heap).defined());
}

TEST(DeviceMemory, PinnedAllocatorGivesPageLockedTensors_CUDA) {
  if (!torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
  const BatchBuffer b = pinned_batch_allocator()(1000);
  ASSERT_TRUE(b.pinned);
  const torch::Tensor t = pinned_tensor(b);
  ASSERT_TRUE(t.defined());
  EXPECT_TRUE(t.is_pinned());
  EXPECT_EQ(t.data_ptr<float>(), b.data);
  EXPECT_EQ(t.numel(), 1000);
}

}  // namespace
}  // namespace fv
