// LibTorch version and device name for benchmark outputs (the only torch-dependent part of fv_bench_common).
#include "common/torch_info.h"

#include <torch/torch.h>

#include <fmt/format.h>

// CUDA LibTorch builds put the CUDA toolkit's headers on the include path; Debian's CPU LibTorch does not.
#if __has_include(<cuda_runtime_api.h>) && __has_include(<ATen/cuda/CUDAContext.h>)
#include <ATen/cuda/CUDAContext.h>
#define FV_BENCH_HAVE_CUDA_HEADERS 1
#endif

namespace fv::bench {

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
  return fmt::format("LibTorch {} CUDA cuda:{}", TORCH_VERSION, index);
}

}  // namespace fv::bench
