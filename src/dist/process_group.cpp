// Communicator implementations: the no-op world of one, and c10d process groups (Gloo / NCCL) over a
// TCPStore. The only file of the project that includes c10d headers: LibTorch 1.13 (Debian: Gloo, no NCCL)
// and 2.x (CUDA wheel: NCCL, no Gloo headers) differ there, and the differences stay in this file.
#include "dist/process_group.h"

#include <ATen/ATen.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <vector>

#include "core/check.h"
#include "core/error.h"
#include "model/torch_compat.h"  // header only: without_libuv

// c10d's headers compile their backend classes only under these macros.
#if defined(FV_HAVE_GLOO) && !defined(USE_C10D_GLOO)
#define USE_C10D_GLOO 1
#endif
#if defined(FV_HAVE_NCCL) && !defined(USE_C10D_NCCL)
#define USE_C10D_NCCL 1
#endif
#if defined(FV_HAVE_GLOO) || defined(FV_HAVE_NCCL)
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#endif
#ifdef FV_HAVE_GLOO
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#endif
#ifdef FV_HAVE_NCCL
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

namespace fv {
namespace {

void check_tensor(const at::Tensor& t, const char* what) {
  FV_CHECK(t.defined(), DataError, "{}: the tensor is undefined", what);
  FV_CHECK(t.is_contiguous(), DataError, "{}: the tensor must be contiguous (sizes [{}])", what,
           fmt::join(t.sizes(), ", "));
}

class DoneHandle final : public CommHandle {
 public:
  void wait() override {}
};

class SingleCommunicator final : public Communicator {
 public:
  int rank() const override { return 0; }
  int world_size() const override { return 1; }
  std::string backend_name() const override { return "single"; }
  void allreduce_sum_(const at::Tensor& t) override { check_tensor(t, "allreduce_sum_"); }
  void allreduce_max_(const at::Tensor& t) override { check_tensor(t, "allreduce_max_"); }
  std::unique_ptr<CommHandle> allreduce_sum_async(const at::Tensor& t) override {
    check_tensor(t, "allreduce_sum_async");
    return std::make_unique<DoneHandle>();
  }
  at::Tensor all_gather(const at::Tensor& t) override {
    check_tensor(t, "all_gather");
    return t.detach().clone();
  }
  void broadcast_(const at::Tensor& t, int root) override {
    check_tensor(t, "broadcast_");
    FV_CHECK(root == 0, DataError, "broadcast_: root {} is not a rank of a world of 1", root);
  }
  void barrier() override {}
};

#if defined(FV_HAVE_GLOO) || defined(FV_HAVE_NCCL)

// Rethrows a backend failure (timeout, peer gone) as DataError naming the collective.
template <class WorkPtr>
void wait_work(const WorkPtr& work, const char* what) {
  try {
    work->wait();
  } catch (const std::exception& e) {
    throw DataError(fmt::format("{} failed: {}", what, e.what()));
  }
}

template <class WorkPtr>
class C10dHandle final : public CommHandle {
 public:
  explicit C10dHandle(WorkPtr work) : work_(std::move(work)) {}
  void wait() override {
    if (work_) wait_work(work_, "allreduce_sum_async");
    work_.reset();
  }

 private:
  WorkPtr work_;
};

// One process group type (ProcessGroupGloo or ProcessGroupNCCL): the collective signatures used here are
// the same in LibTorch 1.13 (ProcessGroup subclasses) and 2.x (Backend subclasses).
template <class PG>
class C10dCommunicator final : public Communicator {
 public:
  C10dCommunicator(c10::intrusive_ptr<PG> pg, int rank, int world, std::string name, c10::Device device)
      : pg_(std::move(pg)), rank_(rank), world_(world), name_(std::move(name)), device_(device) {}

  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::string backend_name() const override { return name_; }

  void allreduce_sum_(const at::Tensor& t) override { allreduce(t, c10d::ReduceOp::SUM, "allreduce_sum_"); }
  void allreduce_max_(const at::Tensor& t) override { allreduce(t, c10d::ReduceOp::MAX, "allreduce_max_"); }

  std::unique_ptr<CommHandle> allreduce_sum_async(const at::Tensor& t) override {
    check(t, "allreduce_sum_async");
    std::vector<at::Tensor> tensors{t};
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp(c10d::ReduceOp::SUM);
    auto work = pg_->allreduce(tensors, opts);
    return std::make_unique<C10dHandle<decltype(work)>>(std::move(work));
  }

  at::Tensor all_gather(const at::Tensor& t) override {
    check(t, "all_gather");
    std::vector<at::Tensor> inputs{t};
    std::vector<std::vector<at::Tensor>> outputs(1);
    for (int r = 0; r < world_; ++r) outputs[0].push_back(at::empty_like(t));
    wait_work(pg_->allgather(outputs, inputs), "all_gather");
    return at::cat(outputs[0], 0);
  }

  void broadcast_(const at::Tensor& t, int root) override {
    check(t, "broadcast_");
    FV_CHECK(root >= 0 && root < world_, DataError, "broadcast_: root {} is not a rank of a world of {}", root, world_);
    std::vector<at::Tensor> tensors{t};
    c10d::BroadcastOptions opts;
    opts.rootRank = root;
    wait_work(pg_->broadcast(tensors, opts), "broadcast_");
  }

  void barrier() override { wait_work(pg_->barrier(), "barrier"); }

 private:
  void check(const at::Tensor& t, const char* what) const {
    check_tensor(t, what);
    FV_CHECK(t.device().type() == device_.type(), DataError, "{}: the {} communicator needs {} tensors, got {}",
             what, name_, device_.str(), t.device().str());
  }

  void allreduce(const at::Tensor& t, c10d::ReduceOp::RedOpType op, const char* what) {
    check(t, what);
    std::vector<at::Tensor> tensors{t};
    c10d::AllreduceOptions opts;
    opts.reduceOp = c10d::ReduceOp(op);
    wait_work(pg_->allreduce(tensors, opts), what);
  }

  c10::intrusive_ptr<PG> pg_;
  int rank_;
  int world_;
  std::string name_;
  c10::Device device_;
};

c10::intrusive_ptr<c10d::Store> rendezvous(const DistEnv& env, std::chrono::milliseconds timeout) {
  c10d::TCPStoreOptions opts;
  opts.port = static_cast<std::uint16_t>(env.master_port);
  opts.isServer = env.rank == 0;
  opts.numWorkers = static_cast<std::size_t>(env.world_size);
  opts.waitWorkers = true;
  without_libuv(opts);
  opts.timeout = timeout;
  try {
    auto store = c10::make_intrusive<c10d::TCPStore>(env.master_addr, opts);
    // A prefix, as torch.distributed does, so that a second group on the same store would not collide.
    return c10::make_intrusive<c10d::PrefixStore>("fv/default_pg", store);
  } catch (const std::exception& e) {
    throw DataError(fmt::format("rendezvous with MASTER_ADDR={} MASTER_PORT={} failed ({}): {}", env.master_addr,
                                env.master_port, describe(env), e.what()));
  }
}

#endif

}  // namespace

bool Communicator::has_backend(CommDevice device) {
#ifdef FV_HAVE_GLOO
  if (device == CommDevice::kCpu) return true;
#endif
#ifdef FV_HAVE_NCCL
  if (device == CommDevice::kCuda) return true;
#endif
  (void)device;
  return false;
}

std::unique_ptr<Communicator> Communicator::single() { return std::make_unique<SingleCommunicator>(); }

std::unique_ptr<Communicator> Communicator::create(const DistEnv& env, CommDevice device,
                                                   std::chrono::milliseconds timeout) {
  if (env.world_size == 1) return single();
  return create_group(env, device, timeout);
}

std::unique_ptr<Communicator> Communicator::create_group(const DistEnv& env, CommDevice device,
                                                         std::chrono::milliseconds timeout) {
  FV_CHECK(has_backend(device), ConfigError,
           "WORLD_SIZE={} needs the {} backend, which is not available in this build (LibTorch without {} "
           "headers at configure time); run a single process (unset RANK/WORLD_SIZE) or rebuild",
           env.world_size, device == CommDevice::kCpu ? "Gloo (CPU)" : "NCCL (CUDA)",
           device == CommDevice::kCpu ? "Gloo" : "NCCL");
#if defined(FV_HAVE_GLOO) || defined(FV_HAVE_NCCL)
  auto store = rendezvous(env, timeout);
  try {
#ifdef FV_HAVE_GLOO
    if (device == CommDevice::kCpu) {
      auto opts = c10d::ProcessGroupGloo::Options::create(timeout);
      // GLOO_SOCKET_IFNAME as in torch.distributed; loopback jobs bind to 127.0.0.1 (the host name may not
      // resolve inside containers); otherwise the address the host name resolves to.
      const auto ifname = process_env("GLOO_SOCKET_IFNAME");
      const bool loopback = env.master_addr == "localhost" || env.master_addr.rfind("127.", 0) == 0;
      if (ifname && !ifname->empty()) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForInterface(*ifname));
      } else if (loopback) {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1"));
      } else {
        opts->devices.push_back(c10d::ProcessGroupGloo::createDefaultDevice());
      }
      opts->threads = 2;
      auto pg = c10::make_intrusive<c10d::ProcessGroupGloo>(store, env.rank, env.world_size, opts);
      return std::make_unique<C10dCommunicator<c10d::ProcessGroupGloo>>(std::move(pg), env.rank, env.world_size,
                                                                        "gloo", c10::Device(c10::kCPU));
    }
#endif
#ifdef FV_HAVE_NCCL
    if (device == CommDevice::kCuda) {
      auto opts = c10d::ProcessGroupNCCL::Options::create();
      opts->timeout = timeout;
      auto pg = c10::make_intrusive<c10d::ProcessGroupNCCL>(store, env.rank, env.world_size, opts);
      return std::make_unique<C10dCommunicator<c10d::ProcessGroupNCCL>>(
          std::move(pg), env.rank, env.world_size, "nccl", c10::Device(c10::kCUDA, env.local_rank));
    }
#endif
  } catch (const Error&) {
    throw;
  } catch (const std::exception& e) {
    throw DataError(fmt::format("creating the process group ({}) failed: {}", describe(env), e.what()));
  }
#endif
  (void)timeout;
  throw ConfigError("no communication backend for this device");
}

}  // namespace fv
