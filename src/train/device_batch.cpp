// BatchStager: pinned batch buffers on CUDA, asynchronous copies, channels-last inputs.
#include "train/device_batch.h"

#include <cstring>

namespace fv {

BatchStager::BatchStager(torch::Device device, PreprocessOptions preprocess, bool channels_last)
    : device_(device), preprocess_(preprocess), channels_last_(channels_last), pinned_(device.is_cuda()) {}

BatchAllocator BatchStager::allocator() const { return pinned_ ? pinned_batch_allocator() : BatchAllocator{}; }

DeviceBatch BatchStager::stage(const Batch& batch) const {
  const auto n = static_cast<std::int64_t>(batch.size());
  const auto& p = preprocess_;
  const std::vector<std::int64_t> shape{n, p.channels, p.height, p.width};
  DeviceBatch out;
  if (pinned_) {
    const torch::Tensor host = pinned_tensor(batch.pixels);
    TORCH_CHECK(host.defined(), "BatchStager: the batch is not in pinned memory (give the loader allocator())");
    out.images = host.narrow(0, 0, n * p.channels * p.height * p.width).view(shape).to(device_, /*non_blocking=*/true);
    auto labels = torch::empty({n}, torch::TensorOptions().dtype(torch::kInt64).pinned_memory(true));
    std::memcpy(labels.data_ptr<std::int64_t>(), batch.labels.data(), sizeof(std::int64_t) * static_cast<std::size_t>(n));
    out.labels = labels.to(device_, /*non_blocking=*/true);
  } else {
    // CPU: the loader's buffer is used in place (from_blob keeps the batch's storage alive).
    auto owner = batch.pixels.owner;
    out.images = torch::from_blob(batch.data(), shape, [owner](void*) {}, torch::kFloat32).to(device_);
    out.labels = torch::tensor(batch.labels, torch::kInt64).to(device_);
  }
  if (channels_last_) out.images = out.images.contiguous(torch::MemoryFormat::ChannelsLast);
  return out;
}

}  // namespace fv
