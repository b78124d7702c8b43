// Tests that run once per device: the CPU always, CUDA where a GPU is visible (elsewhere those instances skip).
// scripts/gpu-check.sh runs every such test on the GPU machine (gtest filter *OnDevice*), so the CUDA paths are
// compiled by every build and tested wherever a GPU is. On CUDA, TF32 convolutions are switched off while the
// test runs so that "fp32" means fp32 (cuDNN allows TF32 by default, a 1e-3 relative rounding).
//
//   class TrainStepOnDevice : public fv::testing::OnDevice {};
//   TEST_P(TrainStepOnDevice, Something) { ... device() ... }
//   FV_INSTANTIATE_ON_DEVICES(TrainStepOnDevice);
#pragma once

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <string>

namespace fv::testing {

class OnDevice : public ::testing::TestWithParam<std::string> {
 protected:
  void SetUp() override {
    tf32_ = at::globalContext().allowTF32CuDNN();  // first: TearDown restores it also after a skip
    if (is_cuda() && !torch::cuda::is_available()) GTEST_SKIP() << "no CUDA device";
    at::globalContext().setAllowTF32CuDNN(false);
  }
  void TearDown() override { at::globalContext().setAllowTF32CuDNN(tf32_); }

  bool is_cuda() const { return GetParam() == "cuda"; }
  torch::Device device() const { return is_cuda() ? torch::Device(torch::kCUDA, 0) : torch::Device(torch::kCPU); }

 private:
  bool tf32_ = true;
};

}  // namespace fv::testing

#define FV_INSTANTIATE_ON_DEVICES(Fixture)                                                      \
  INSTANTIATE_TEST_SUITE_P(Devices, Fixture, ::testing::Values(std::string("cpu"), std::string("cuda")), \
                           [](const ::testing::TestParamInfo<std::string>& info) { return info.param; })
