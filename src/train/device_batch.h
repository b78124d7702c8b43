// Moves loader batches to the training device. On CUDA the loader writes pixels straight into page-locked
// (pinned) host memory, so the host-to-device copy is asynchronous and overlaps the previous step's kernels;
// the images are handed to the network in the memory format its convolutions run fastest in.
#pragma once

#include <torch/torch.h>

#include "dataset/batch_loader.h"
#include "dataset/preprocess.h"
#include "model/device_memory.h"

namespace fv {

struct DeviceBatch {
  torch::Tensor images;  // [N, C, H, W] float on the device, in the stager's memory format
  torch::Tensor labels;  // [N] int64 on the device
};

class BatchStager {
 public:
  BatchStager(torch::Device device, PreprocessOptions preprocess, bool channels_last);

  // The allocator the loader must be given: pinned memory on CUDA; empty (the heap) on the CPU.
  BatchAllocator allocator() const;

  // Requires a batch from a loader that used allocator(). Enqueues the copies (non-blocking on CUDA: the
  // pinned block is not reused before the copy has run, LibTorch's host allocator records the stream).
  DeviceBatch stage(const Batch& batch) const;

  bool pinned() const { return pinned_; }

 private:
  torch::Device device_;
  PreprocessOptions preprocess_;
  bool channels_last_;
  bool pinned_;
};

}  // namespace fv
