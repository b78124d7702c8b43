// The one cross-entropy of the project: mean over the batch of -log softmax(logits)[label], in fp32.
#pragma once

#include <torch/torch.h>

namespace fv {

// Requires: logits 2-D [N, C] with N >= 1, labels 1-D int64 [N]; on CPU every label in [0, C) (on CUDA
// the range is not checked here, to avoid a device sync each step; the gather asserts on the device).
// Ensures: a 0-D fp32 tensor, differentiable in logits; half/bfloat16 logits are cast to fp32
// first (double stays double).
// Throws: DataError naming the shapes or the bad label.
torch::Tensor cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels);

// Fraction of rows whose arg-max equals the label (0-D fp32, no gradient).
torch::Tensor top1_accuracy(const torch::Tensor& logits, const torch::Tensor& labels);

}  // namespace fv
