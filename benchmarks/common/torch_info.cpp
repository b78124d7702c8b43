// LibTorch version and device name for benchmark outputs (in fv_bench_torch, apart from the torch-free common code).
#include "common/torch_info.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "common/machine_info.h"

// CUDA LibTorch builds put the CUDA toolkit's headers on the include path; Debian's CPU LibTorch does not.
// CUDAContext.h includes the cuBLAS/cuSPARSE/cuSOLVER headers too: all must be there.
#if __has_include(<cuda_runtime_api.h>) && __has_include(<ATen/cuda/CUDAContext.h>) && __has_include(<cublas_v2.h>) && \
    __has_include(<cusparse.h>) && __has_include(<cusolverDn.h>) && __has_include(<cublasLt.h>)
#include <ATen/cuda/CUDAContext.h>
#include <c10/cuda/CUDACachingAllocator.h>
#define FV_BENCH_HAVE_CUDA_HEADERS 1
#endif

namespace fv::bench {
namespace {

// The NVIDIA driver's name for the first GPU ("Model: NVIDIA H100 80GB HBM3" in /proc/driver/nvidia/gpus/*/
// information), when LibTorch's CUDA headers were not at hand; empty when there is none.
std::string driver_gpu_name() {
  std::error_code ec;
  for (const auto& entry : std::filesystem::directory_iterator("/proc/driver/nvidia/gpus", ec)) {
    std::ifstream in(entry.path() / "information");
    std::string line;
    while (std::getline(in, line)) {
      if (line.rfind("Model:", 0) == 0) {
        const auto start = line.find_first_not_of(" \t", 6);
        return start == std::string::npos ? std::string() : line.substr(start);
      }
    }
  }
  return {};
}

}  // namespace

std::string torch_device_summary(const c10::Device& device) {
  if (!device.is_cuda()) return fmt::format("LibTorch {} CPU", TORCH_VERSION);
  const int index = device.has_index() ? device.index() : 0;
#ifdef FV_BENCH_HAVE_CUDA_HEADERS
  try {
    const cudaDeviceProp* p = at::cuda::getDeviceProperties(index);
    return fmt::format("LibTorch {} CUDA {}.{}, {} (sm {}.{})", TORCH_VERSION, CUDART_VERSION / 1000,
                       (CUDART_VERSION % 1000) / 10, p->name, p->major, p->minor);
  } catch (const std::exception&) {
    // fall through to the plain name
  }
#endif
  const std::string name = driver_gpu_name();
  return fmt::format("LibTorch {} CUDA cuda:{}{}", TORCH_VERSION, index, name.empty() ? "" : ", " + name);
}

void reset_peak_device_memory(const c10::Device& device) {
#ifdef FV_BENCH_HAVE_CUDA_HEADERS
  if (device.is_cuda()) c10::cuda::CUDACachingAllocator::resetPeakStats(device.has_index() ? device.index() : 0);
#else
  (void)device;
#endif
}

std::optional<double> peak_device_megabytes(const c10::Device& device) {
#ifdef FV_BENCH_HAVE_CUDA_HEADERS
  if (device.is_cuda()) {
    // allocated_bytes[0]: the aggregate over small and large pools (StatType::AGGREGATE in 1.13 and 2.x).
    const auto stats = c10::cuda::CUDACachingAllocator::getDeviceStats(device.has_index() ? device.index() : 0);
    return static_cast<double>(stats.allocated_bytes[0].peak) / (1024.0 * 1024.0);
  }
#else
  (void)device;
#endif
  return std::nullopt;
}

void print_peak_memory(const std::string& stage, const std::string& program, const std::string& backbone, int batch,
                       const c10::Device& device) {
  const auto peak = peak_device_megabytes(device);
  if (!peak) return;
  const std::string setting = fmt::format("{} batch {} peak memory", backbone, batch);
  fmt::print("{}: {:.0f} MB, {:.3f} MB/img\n", setting, *peak, *peak / batch);
  print_result(stage, program, setting, *peak / batch, "MB/img", 0);
}

}  // namespace fv::bench
