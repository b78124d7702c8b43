// Communicator: the few collectives data-parallel training needs (all-reduce, all-gather, broadcast,
// barrier) behind one small interface, so that nothing else in the project includes c10d headers.
// Backed by torch's c10d process groups (Gloo for CPU tensors, NCCL for CUDA tensors) and a TCPStore
// rendezvous hosted by rank 0; a world of one is a no-op implementation with no store and no sockets.
#pragma once

#include <ATen/core/Tensor.h>

#include <chrono>
#include <memory>
#include <string>

#include "dist/dist_env.h"

namespace fv {

enum class CommDevice { kCpu, kCuda };

// A collective in flight. wait() blocks until it completed (for NCCL: until the current CUDA stream is
// ordered after it) and rethrows the backend's error as DataError. Calling wait() twice is allowed.
class CommHandle {
 public:
  virtual ~CommHandle() = default;
  virtual void wait() = 0;
};

class Communicator {
 public:
  virtual ~Communicator() = default;

  // The communicator for `env` on `device`: the no-op one when env.world_size == 1, else a c10d process
  // group (Gloo for kCpu, NCCL for kCuda) after a rendezvous on MASTER_ADDR:MASTER_PORT (rank 0 hosts the
  // TCPStore). Every collective must be called by all ranks in the same order with tensors of the same
  // shape and dtype. `timeout` bounds the rendezvous and each collective.
  // Throws ConfigError when the backend for `device` was not compiled in (e.g. "the Gloo backend is not
  // available in this build ..."), DataError when the rendezvous fails or times out.
  static std::unique_ptr<Communicator> create(const DistEnv& env, CommDevice device,
                                              std::chrono::milliseconds timeout = std::chrono::minutes(5));
  // The c10d process group for `env` whatever its size: create() without the world-of-one shortcut (a real group
  // of one process runs every collective through Gloo / NCCL: how a single GPU checks its NCCL). Same errors.
  static std::unique_ptr<Communicator> create_group(const DistEnv& env, CommDevice device,
                                                    std::chrono::milliseconds timeout = std::chrono::minutes(5));
  // The world-of-one communicator (rank 0, world 1): every collective leaves its tensor as it is.
  static std::unique_ptr<Communicator> single();
  // Whether this build has the Gloo (CPU) / NCCL (CUDA) backend.
  static bool has_backend(CommDevice device);

  virtual int rank() const = 0;
  virtual int world_size() const = 0;
  bool is_main() const { return rank() == 0; }
  virtual std::string backend_name() const = 0;  // "single", "gloo", "nccl"

  // In-place element-wise sum / max over all ranks; every rank ends with the same values.
  // Requires a contiguous tensor on the communicator's device (Gloo: CPU). Throws DataError otherwise.
  virtual void allreduce_sum_(const at::Tensor& tensor) = 0;
  virtual void allreduce_max_(const at::Tensor& tensor) = 0;
  // Starts an in-place sum; `tensor` must stay alive and untouched until wait() returned.
  virtual std::unique_ptr<CommHandle> allreduce_sum_async(const at::Tensor& tensor) = 0;
  // The rank-ordered concatenation along dim 0 of every rank's `tensor` (all of the same shape):
  // [world_size * n, ...]. A new tensor (no autograd history).
  virtual at::Tensor all_gather(const at::Tensor& tensor) = 0;
  // In place: every rank ends with root's values. Requires 0 <= root < world_size.
  virtual void broadcast_(const at::Tensor& tensor, int root = 0) = 0;
  virtual void barrier() = 0;
};

}  // namespace fv
