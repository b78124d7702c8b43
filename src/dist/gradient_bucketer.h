// Bucketed gradient all-reduce overlapped with the backward pass, as PyTorch DDP's Reducer does: the
// parameters are grouped (in reverse registration order, roughly the order backward produces their
// gradients) into buckets of about `bucket_mb` MB; a hook on every parameter copies its gradient into its
// bucket's flat buffer, and as soon as a bucket is complete its all-reduce starts while backward goes on.
#pragma once

#include <ATen/core/Tensor.h>

#include <cstdint>
#include <memory>
#include <mutex>
#include <vector>

namespace torch::nn {
class Module;
}

namespace fv {

class Communicator;
class CommHandle;

class GradientBucketer {
 public:
  // Requires: `parameters` non-empty, each a leaf tensor that requires grad (others are ignored), dense;
  // bucket_mb > 0. `comm` must outlive the bucketer. Registers one gradient hook per parameter (removed by
  // the destructor). Throws ConfigError on bad arguments.
  GradientBucketer(std::vector<at::Tensor> parameters, Communicator& comm, double bucket_mb = 25.0);
  ~GradientBucketer();
  GradientBucketer(const GradientBucketer&) = delete;
  GradientBucketer& operator=(const GradientBucketer&) = delete;

  // Call once after each backward pass (before gradient clipping and the optimizer step), on every rank.
  // Launches the buckets not launched yet (a parameter that received no gradient in this backward
  // contributes zeros), waits for every all-reduce, divides by the world size and writes the averaged
  // gradient into param.grad() (allocating it if undefined).
  // Ensures: every parameter's grad() equals the mean over ranks of the gradient this backward produced on
  // each rank; what param.grad() held before the backward is replaced, not added to (zero the gradients
  // before each backward as usual; accumulating over several backward passes is not supported).
  // Throws DataError when a collective fails, or when a gradient was produced twice since the last finish().
  void finish();

  int64_t num_buckets() const { return static_cast<int64_t>(buckets_.size()); }
  // Indices (into the constructor's list) of the parameters of bucket `b`, in bucket order.
  std::vector<std::size_t> bucket_parameters(int64_t b) const;
  // How many buckets have their all-reduce started since the last finish() (for tests of the overlap).
  int64_t launched_buckets() const;

 private:
  struct Slot {
    at::Tensor param;
    std::size_t index = 0;  // in the constructor's list
    std::size_t bucket = 0;
    int64_t offset = 0;
    int64_t numel = 0;
    unsigned hook = 0;
    bool ready = false;
  };
  struct Bucket {
    at::Tensor flat;
    std::vector<std::size_t> slots;
    std::size_t pending = 0;
    std::unique_ptr<CommHandle> handle;
  };
  void on_grad(std::size_t slot, const at::Tensor& grad);
  void launch_ready_locked();
  void reset_locked();

  Communicator& comm_;
  std::vector<Slot> slots_;
  std::vector<Bucket> buckets_;
  std::size_t next_to_launch_ = 0;
  mutable std::mutex mutex_;
};

// Copies every parameter and buffer of `module` from rank `root` to all ranks (call once after building the
// model and loading any checkpoint, before the first step), as DDP does at construction. Requires the
// same module structure on every rank. Throws DataError when a collective fails.
void broadcast_parameters(torch::nn::Module& module, Communicator& comm, int root = 0);

}  // namespace fv
