// LibTorch thread configuration and device selection.
#include "model/torch_runtime.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"

namespace fv {
namespace {

TEST(TorchRuntime, SetsRequestedThreadCount) {
  EXPECT_EQ(configure_torch_threads(2), 2);
  EXPECT_EQ(torch::get_num_threads(), 2);
  EXPECT_NE(torch_runtime_summary().find("2 threads"), std::string::npos) << torch_runtime_summary();
}

TEST(TorchRuntime, DeviceSelection) {
  EXPECT_EQ(select_device(DeviceKind::kCpu).type(), c10::DeviceType::CPU);
  if (torch::cuda::is_available()) {
    EXPECT_EQ(select_device(DeviceKind::kAuto).type(), c10::DeviceType::CUDA);
  } else {
    EXPECT_EQ(select_device(DeviceKind::kAuto).type(), c10::DeviceType::CPU);
    EXPECT_THROW(select_device(DeviceKind::kCuda), ConfigError);
  }
}

}  // namespace
}  // namespace fv
