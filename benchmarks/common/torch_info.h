// The device part of a torch benchmark's machine line: LibTorch version, CPU or the CUDA device's name.
#pragma once

#include <optional>
#include <string>

namespace c10 {
struct Device;
}

namespace fv::bench {

// "LibTorch 1.13.0 CPU" or, for a CUDA device, "LibTorch 2.11.0 CUDA 13.0, NVIDIA H100 80GB HBM3 (sm 9.0)".
// The device name comes from LibTorch's CUDA headers when the build has them, else from the NVIDIA driver
// (/proc/driver/nvidia), else the device is named "cuda:<index>". Never throws.
std::string torch_device_summary(const c10::Device& device);

// Peak memory of LibTorch's CUDA caching allocator: reset before a case, read after it (bytes allocated by
// tensors at the high point, not the reserved cache). nullopt on the CPU or in a build without the CUDA headers.
void reset_peak_device_memory(const c10::Device& device);
std::optional<double> peak_device_megabytes(const c10::Device& device);
// After a case of `batch` images: prints "<backbone> batch <n> peak memory: X MB, Y MB/img" and its RESULT line
// (unit MB/img, just before the case's rate) when the device reports a peak; nothing on the CPU.
void print_peak_memory(const std::string& stage, const std::string& program, const std::string& backbone, int batch,
                       const c10::Device& device);

}  // namespace fv::bench
