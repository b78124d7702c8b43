// Torch threads and device selection.
#include "model/torch_runtime.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include "core/error.h"
#include "core/runtime.h"

namespace fv {

int configure_torch_threads(int requested) {
  const int threads = resolve_threads(requested);
  torch::set_num_threads(threads);
  return threads;
}

c10::Device select_device(DeviceKind kind) {
  const bool cuda = torch::cuda::is_available();
  switch (kind) {
    case DeviceKind::kCpu:
      return torch::kCPU;
    case DeviceKind::kCuda:
      if (!cuda) throw ConfigError("device 'cuda' was asked for but LibTorch sees no CUDA device");
      return torch::kCUDA;
    case DeviceKind::kAuto:
      break;
  }
  return cuda ? c10::Device(torch::kCUDA) : c10::Device(torch::kCPU);
}

std::string torch_runtime_summary() {
  const bool cuda = torch::cuda::is_available();
  return fmt::format("LibTorch {}, {}{}, {} threads", TORCH_VERSION, cuda ? "CUDA" : "CPU",
                     cuda ? fmt::format(" x{}", static_cast<int>(torch::cuda::device_count())) : std::string(),
                     torch::get_num_threads());
}

}  // namespace fv
