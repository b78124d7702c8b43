// LibTorch process set-up: thread counts and the compute device.
#pragma once

#include <string>

namespace c10 {
struct Device;
}

namespace fv {

enum class DeviceKind { kAuto, kCpu, kCuda };

// Sets LibTorch's intra-op threads to resolve_threads(requested) (Debian's LibTorch otherwise starts with
// one thread on VMs that report one core per socket) and returns the count used.
int configure_torch_threads(int requested);

// kAuto: CUDA when available, else CPU. kCuda when no GPU is present throws ConfigError.
c10::Device select_device(DeviceKind kind);

// "LibTorch 1.13.0, CPU, 2 threads" — for logs and benchmark outputs.
std::string torch_runtime_summary();

}  // namespace fv
