// The device part of a torch benchmark's machine line: LibTorch version, CPU or the CUDA device's name.
#pragma once

#include <string>

namespace c10 {
struct Device;
}

namespace fv::bench {

// "LibTorch 1.13.0 CPU" or, for a CUDA device, "LibTorch 2.11.0 CUDA 13.0, NVIDIA H100 80GB HBM3 (sm 9.0)".
// The device name comes from LibTorch's CUDA headers when the build has them, else from the NVIDIA driver
// (/proc/driver/nvidia), else the device is named "cuda:<index>". Never throws.
std::string torch_device_summary(const c10::Device& device);

}  // namespace fv::bench
