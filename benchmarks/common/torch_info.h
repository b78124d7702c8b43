// The device part of a torch benchmark's machine line: LibTorch version, CPU or the CUDA device's name.
#pragma once

#include <string>

namespace c10 {
struct Device;
}

namespace fv::bench {

// "LibTorch 1.13.0 CPU" or, for a CUDA device, "LibTorch 2.11.0 CUDA 13.0, NVIDIA H100 80GB HBM3 (sm 9.0)".
// The device name needs LibTorch's CUDA headers; a build against a LibTorch without them (Debian's CPU one)
// names the device "cuda:<index>". Never throws.
std::string torch_device_summary(const c10::Device& device);

}  // namespace fv::bench
