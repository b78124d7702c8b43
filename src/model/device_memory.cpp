// Channels-last conversion and pinned batch buffers.
#include "model/device_memory.h"

namespace fv {
namespace {

// The owner of a pinned buffer (BatchBuffer::pinned tells pinned_tensor() that the owner is one).
struct PinnedOwner {
  torch::Tensor tensor;
};

}  // namespace

const EnumNames<MemoryFormatMode>& memory_format_names() {
  static const EnumNames<MemoryFormatMode> names{{"auto", MemoryFormatMode::kAuto},
                                                 {"contiguous", MemoryFormatMode::kContiguous},
                                                 {"channels_last", MemoryFormatMode::kChannelsLast}};
  return names;
}

bool use_channels_last(MemoryFormatMode mode, const torch::Device& device) {
  return mode == MemoryFormatMode::kChannelsLast || (mode == MemoryFormatMode::kAuto && device.is_cuda());
}

void to_channels_last(torch::nn::Module& module) {
  torch::NoGradGuard no_grad;
  for (auto& p : module.parameters())
    if (p.dim() == 4) p.set_data(p.contiguous(torch::MemoryFormat::ChannelsLast));
  for (auto& b : module.buffers())
    if (b.dim() == 4) b.set_data(b.contiguous(torch::MemoryFormat::ChannelsLast));
}

BatchAllocator pinned_batch_allocator() {
  return [](std::size_t floats) {
    // From LibTorch's caching host allocator, which knows the block and so records the stream of a non-blocking
    // copy made from this very tensor: the block is not reused before the copy has run.
    auto owner = std::make_shared<PinnedOwner>();
    owner->tensor = torch::empty({static_cast<std::int64_t>(floats)},
                                 torch::TensorOptions().dtype(torch::kFloat32).pinned_memory(true));
    float* data = owner->tensor.data_ptr<float>();
    return BatchBuffer{std::shared_ptr<void>(owner, owner.get()), data, /*pinned=*/true};
  };
}

torch::Tensor pinned_tensor(const BatchBuffer& buffer) {
  if (!buffer.pinned || !buffer.owner) return {};
  return static_cast<PinnedOwner*>(buffer.owner.get())->tensor;
}

}  // namespace fv
