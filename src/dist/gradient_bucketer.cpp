// GradientBucketer: per-parameter gradient hooks fill flat bucket buffers; complete buckets are all-reduced
// asynchronously in bucket order (the same order on every rank, whatever order the hooks fire in).
#include "dist/gradient_bucketer.h"

#include <torch/torch.h>

#include <fmt/format.h>

#include "core/check.h"
#include "core/error.h"
#include "dist/process_group.h"

namespace fv {

GradientBucketer::GradientBucketer(std::vector<at::Tensor> parameters, Communicator& comm, double bucket_mb)
    : comm_(comm) {
  FV_CHECK(bucket_mb > 0, ConfigError, "the gradient bucket size must be > 0 MB (got {})", bucket_mb);
  const auto cap = static_cast<int64_t>(bucket_mb * 1024.0 * 1024.0);
  // Reverse registration order: backward produces the last layers' gradients first.
  for (auto it = parameters.rbegin(); it != parameters.rend(); ++it) {
    if (!it->defined() || !it->requires_grad()) continue;
    FV_CHECK(it->is_leaf(), ConfigError, "the gradient bucketer needs leaf parameters");
    FV_CHECK(it->layout() == c10::kStrided, ConfigError, "the gradient bucketer needs dense parameters");
    Slot s;
    s.param = *it;
    s.index = static_cast<std::size_t>(parameters.rend() - it - 1);
    s.numel = it->numel();
    slots_.push_back(std::move(s));
  }
  FV_CHECK(!slots_.empty(), ConfigError, "the gradient bucketer got no parameter that requires grad");
  // Greedy grouping; a new bucket also starts where dtype or device changes (one flat buffer per bucket).
  int64_t bytes = 0;
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    auto& s = slots_[i];
    const int64_t b = s.numel * static_cast<int64_t>(s.param.element_size());
    const bool fresh = buckets_.empty() ||
                       (bytes > 0 && bytes + b > cap) ||
                       slots_[buckets_.back().slots.front()].param.scalar_type() != s.param.scalar_type() ||
                       slots_[buckets_.back().slots.front()].param.device() != s.param.device();
    if (fresh) {
      buckets_.emplace_back();
      bytes = 0;
    }
    auto& bucket = buckets_.back();
    s.bucket = buckets_.size() - 1;
    s.offset = bucket.slots.empty() ? 0 : slots_[bucket.slots.back()].offset + slots_[bucket.slots.back()].numel;
    bucket.slots.push_back(i);
    bytes += b;
  }
  for (auto& bucket : buckets_) {
    const auto& last = slots_[bucket.slots.back()];
    const auto& first = slots_[bucket.slots.front()].param;
    bucket.flat = torch::zeros({last.offset + last.numel}, first.options().requires_grad(false));
    bucket.pending = bucket.slots.size();
  }
  for (std::size_t i = 0; i < slots_.size(); ++i) {
    slots_[i].hook = slots_[i].param.register_hook([this, i](const at::Tensor& grad) { on_grad(i, grad); });
  }
}

GradientBucketer::~GradientBucketer() {
  for (auto& s : slots_) s.param.remove_hook(s.hook);
  // Never leave a collective in flight that writes into a buffer being freed.
  for (auto& b : buckets_) {
    if (!b.handle) continue;
    try {
      b.handle->wait();
    } catch (...) {
    }
  }
}

std::vector<std::size_t> GradientBucketer::bucket_parameters(int64_t b) const {
  FV_CHECK(b >= 0 && b < num_buckets(), DataError, "bucket {} of {}", b, num_buckets());
  std::vector<std::size_t> out;
  for (const auto i : buckets_[b].slots) out.push_back(slots_[i].index);
  return out;
}

int64_t GradientBucketer::launched_buckets() const {
  std::lock_guard lock(mutex_);
  return static_cast<int64_t>(next_to_launch_);
}

void GradientBucketer::on_grad(std::size_t i, const at::Tensor& grad) {
  std::lock_guard lock(mutex_);
  auto& s = slots_[i];
  FV_CHECK(!s.ready, DataError,
           "a gradient for parameter [{}] was produced twice before GradientBucketer::finish() (call finish() "
           "after every backward)", fmt::join(s.param.sizes(), ", "));
  FV_CHECK(grad.layout() == c10::kStrided, DataError, "sparse gradients are not supported by the bucketer");
  auto& bucket = buckets_[s.bucket];
  FV_CHECK(!bucket.handle, DataError, "a gradient arrived for a bucket whose all-reduce already started");
  torch::NoGradGuard no_grad;
  bucket.flat.narrow(0, s.offset, s.numel).view(s.param.sizes()).copy_(grad);
  s.ready = true;
  if (--bucket.pending == 0) launch_ready_locked();
}

void GradientBucketer::launch_ready_locked() {
  while (next_to_launch_ < buckets_.size() && buckets_[next_to_launch_].pending == 0) {
    auto& b = buckets_[next_to_launch_++];
    b.handle = comm_.allreduce_sum_async(b.flat);
  }
}

void GradientBucketer::reset_locked() {
  for (auto& s : slots_) s.ready = false;
  for (auto& b : buckets_) {
    b.pending = b.slots.size();
    b.handle.reset();
  }
  next_to_launch_ = 0;
}

void GradientBucketer::finish() {
  std::lock_guard lock(mutex_);
  torch::NoGradGuard no_grad;
  // Parameters without a gradient in this backward contribute zeros (every rank must join every bucket).
  for (auto& s : slots_) {
    if (s.ready) continue;
    auto& b = buckets_[s.bucket];
    b.flat.narrow(0, s.offset, s.numel).zero_();
    s.ready = true;
    --b.pending;
  }
  launch_ready_locked();
  const double world = comm_.world_size();
  std::exception_ptr error;
  for (auto& b : buckets_) {
    try {
      b.handle->wait();
    } catch (...) {
      if (!error) error = std::current_exception();
    }
  }
  if (error) {
    reset_locked();
    std::rethrow_exception(error);
  }
  for (auto& b : buckets_) {
    if (world != 1.0) b.flat.div_(world);
  }
  for (auto& s : slots_) {
    const auto averaged = buckets_[s.bucket].flat.narrow(0, s.offset, s.numel).view(s.param.sizes());
    auto& g = s.param.mutable_grad();
    if (g.defined() && g.sizes() == s.param.sizes()) {
      g.copy_(averaged);
    } else {
      g = averaged.clone();
    }
  }
  reset_locked();
}

void broadcast_parameters(torch::nn::Module& module, Communicator& comm, int root) {
  if (comm.world_size() == 1) return;
  torch::NoGradGuard no_grad;
  auto send = [&](torch::Tensor t) {
    if (t.is_contiguous()) {
      comm.broadcast_(t, root);
    } else {
      auto c = t.contiguous();
      comm.broadcast_(c, root);
      t.copy_(c);
    }
  };
  for (auto& p : module.parameters()) send(p);
  for (auto& b : module.buffers()) send(b);
}

}  // namespace fv
