// Memory for the pixels of a batch, and the allocator the batch loader takes it from.
#pragma once

#include <cstddef>
#include <functional>
#include <memory>

namespace fv {

// Memory for a batch's pixels: `data` points into storage kept alive by `owner`.
struct BatchBuffer {
  std::shared_ptr<void> owner;
  float* data = nullptr;
  bool pinned = false;  // page-locked memory from model/device_memory.h's allocator
};

// Returns room for `floats` pixels. The loader's default takes it from the heap; the trainer passes page-locked
// (pinned) memory on CUDA so that the host-to-device copy of a batch runs asynchronously (see
// model/device_memory.h). Called on the loader's worker threads.
using BatchAllocator = std::function<BatchBuffer(std::size_t floats)>;

// Heap memory (the default allocator).
BatchBuffer heap_batch_buffer(std::size_t floats);

}  // namespace fv
