// Partial FC: the sharded classifier, its negative-class sampling, and the distributed cross-entropy.
#include "train/partial_fc.h"

#include <ATen/CPUGeneratorImpl.h>
#include <c10/core/impl/LocalDispatchKeySet.h>
#include <fmt/format.h>
#include <fmt/ranges.h>

#include <cmath>

#include "core/check.h"
#include "core/error.h"
#include "dist/process_group.h"
#include "train/classifier_head.h"

namespace fv {
namespace {

using torch::autograd::AutogradContext;
using torch::autograd::variable_list;

constexpr int64_t kInitBlockRows = 1024;

std::uint64_t mix(std::uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

Communicator& comm_of(AutogradContext* ctx) {
  return *reinterpret_cast<Communicator*>(static_cast<intptr_t>(ctx->saved_data["comm"].toInt()));
}

// Why the gradient is multiplied by world_size: the loss is the mean over the GLOBAL batch and depends on
// every rank's features through every rank's shard. d(loss)/d(x_r) is the sum over ranks of each shard's
// contribution (the all-reduce). The backbone gradient of the loss is sum_r d(loss)/d(x_r) * d(x_r)/d(theta),
// but the GradientBucketer AVERAGES the ranks' backbone gradients (as DDP does), dividing by world_size;
// multiplying here by world_size makes that average the exact gradient of the global loss.
struct AllGatherFn : torch::autograd::Function<AllGatherFn> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& local, int64_t comm_ptr) {
    ctx->saved_data["comm"] = comm_ptr;
    ctx->saved_data["rows"] = local.size(0);
    auto& comm = *reinterpret_cast<Communicator*>(static_cast<intptr_t>(comm_ptr));
    return comm.all_gather(local.detach().contiguous());
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    auto& comm = comm_of(ctx);
    const int64_t rows = ctx->saved_data["rows"].toInt();
    auto g = grads[0].contiguous().clone();
    comm.allreduce_sum_(g);
    auto mine = g.narrow(0, rows * comm.rank(), rows);
    if (comm.world_size() != 1) mine = mine * static_cast<double>(comm.world_size());
    return {mine.contiguous(), torch::Tensor()};
  }
};

struct DistCrossEntropyFn : torch::autograd::Function<DistCrossEntropyFn> {
  static torch::Tensor forward(AutogradContext* ctx, const torch::Tensor& logits, const torch::Tensor& labels,
                               int64_t comm_ptr) {
    auto& comm = *reinterpret_cast<Communicator*>(static_cast<intptr_t>(comm_ptr));
    const auto z = logits.detach();
    const int64_t n = z.size(0);
    auto row_max = std::get<0>(z.max(1, /*keepdim=*/true)).contiguous();
    comm.allreduce_max_(row_max);
    const auto shifted = z - row_max;
    const auto e = shifted.exp();
    auto sum_exp = e.sum(1, /*keepdim=*/true).contiguous();
    comm.allreduce_sum_(sum_exp);
    // The target's shifted logit, from the one rank that owns the row's class (0 elsewhere, then summed).
    const auto valid = labels.ge(0);
    const auto rows = valid.nonzero().squeeze(1);
    auto target = torch::zeros({n, 1}, z.options());
    if (rows.numel() > 0) {
      const auto cols = labels.index_select(0, rows).unsqueeze(1);
      target.index_copy_(0, rows, shifted.index_select(0, rows).gather(1, cols));
    }
    comm.allreduce_sum_(target);
    ctx->save_for_backward({e / sum_exp, labels});
    ctx->saved_data["rows"] = n;
    return (sum_exp.log() - target).mean();
  }
  static variable_list backward(AutogradContext* ctx, variable_list grads) {
    const auto saved = ctx->get_saved_variables();
    const auto& softmax = saved[0];
    const auto& labels = saved[1];
    const int64_t n = ctx->saved_data["rows"].toInt();
    auto g = softmax.clone();
    const auto rows = labels.ge(0).nonzero().squeeze(1);
    if (rows.numel() > 0) {
      const auto cols = labels.index_select(0, rows);
      g.index_put_({rows, cols}, g.index({rows, cols}) - 1.0);
    }
    g = g * (grads[0].to(g.scalar_type()) / static_cast<double>(n));
    return {g, torch::Tensor(), torch::Tensor()};
  }
};

int64_t comm_ptr(Communicator& comm) { return static_cast<int64_t>(reinterpret_cast<intptr_t>(&comm)); }

}  // namespace

void validate(const PartialFcOptions& options) {
  validate(options.head());
  FV_CHECK(options.sample_rate() > 0.0 && options.sample_rate() <= 1.0, ConfigError,
           "train.sample_rate must lie in (0, 1], got {}", options.sample_rate());
  FV_CHECK(!make_margin(options.head())->has_alpha(), ConfigError,
           "train.loss = {} is not supported with Partial FC (sharded classifier): its alpha is one parameter of "
           "the whole head; use softmax, lsoftmax, asoftmax, smsoftmax, cosface or arcface",
           margin_kind_name(options.head().kind()));
  FV_CHECK(!options.head().bias(), ConfigError,
           "train.bias = true is not supported with Partial FC (sharded classifier): set train.bias = false");
}

PartialFcImpl::PartialFcImpl(const PartialFcOptions& options, Communicator& comm)
    : options_(options), comm_(&comm) {
  validate(options_);
  const auto& head = options_.head();
  range_ = shard_range(head.num_classes(), comm.world_size(), comm.rank());
  const int64_t d = head.embedding_dim();
  auto w = torch::empty({range_.size(), d});
  for (int64_t block = range_.start / kInitBlockRows; block * kInitBlockRows < range_.end; ++block) {
    const int64_t b0 = block * kInitBlockRows;
    const int64_t b1 = std::min(head.num_classes(), b0 + kInitBlockRows);
    auto gen = at::make_generator<at::CPUGeneratorImpl>(mix(options_.seed() ^ mix(static_cast<uint64_t>(block))));
    const auto rows = at::normal(0.0, 0.01, {b1 - b0, d}, gen);
    const int64_t lo = std::max(b0, range_.start), hi = std::min(b1, range_.end);
    w.narrow(0, lo - range_.start, hi - lo).copy_(rows.narrow(0, lo - b0, hi - lo));
  }
  weight = register_parameter("weight", w);
  margin_ = make_margin(head);
}

int64_t PartialFcImpl::num_sampled() const {
  return std::min(range_.size(),
                  static_cast<int64_t>(std::ceil(options_.sample_rate() * static_cast<double>(range_.size()))));
}

torch::Tensor PartialFcImpl::sample_classes(const torch::Tensor& global_labels, int64_t iteration) const {
  torch::NoGradGuard no_grad;
  const auto labels = global_labels.to(torch::kCPU);
  if (options_.sample_rate() >= 1.0) return torch::arange(range_.start, range_.end, torch::kLong);
  const auto here = labels.ge(range_.start).logical_and(labels.lt(range_.end));
  const auto positive = std::get<0>(torch::_unique(labels.masked_select(here) - range_.start, /*sorted=*/true));
  const int64_t k = num_sampled();
  torch::Tensor index;
  if (positive.numel() >= k) {
    index = positive;  // every positive is kept, even beyond the sampled count (as insightface)
  } else {
    const std::uint64_t s = mix(options_.seed() ^ mix(static_cast<uint64_t>(iteration) * 0x100000001B3ull +
                                                      static_cast<uint64_t>(comm_->rank())));
    auto gen = at::make_generator<at::CPUGeneratorImpl>(s);
    auto score = at::rand({range_.size()}, gen);
    score.index_fill_(0, positive, 2.0);  // positives first
    index = std::get<0>(std::get<1>(score.topk(k)).sort());
  }
  return index + range_.start;
}

PartialFcOutput PartialFcImpl::forward(const torch::Tensor& local_features, const torch::Tensor& local_labels,
                                       int64_t iteration) {
  c10::impl::ExcludeDispatchKeyGuard no_autocast(c10::autocast_dispatch_keyset);
  const auto& head = options_.head();
  FV_CHECK(iteration >= 0, DataError, "the iteration must be >= 0 (got {})", iteration);
  FV_CHECK(local_features.dim() == 2 && local_features.size(1) == head.embedding_dim() && local_features.size(0) >= 1,
           DataError, "Partial FC expects features [B, {}], got [{}]", head.embedding_dim(),
           fmt::format("{}", fmt::join(local_features.sizes(), ", ")));
  FV_CHECK(local_labels.dim() == 1 && local_labels.size(0) == local_features.size(0) &&
               local_labels.scalar_type() == torch::kLong,
           DataError, "Partial FC expects int64 labels [{}], got [{}]", local_features.size(0),
           fmt::format("{}", fmt::join(local_labels.sizes(), ", ")));
  if (local_labels.device().is_cpu()) {
    const int64_t lo = local_labels.min().item<int64_t>(), hi = local_labels.max().item<int64_t>();
    FV_CHECK(lo >= 0 && hi < head.num_classes(), DataError, "labels must lie in [0, {}), got range [{}, {}]",
             head.num_classes(), lo, hi);
  }
  auto& comm = *comm_;
  const auto features = AllGatherFn::apply(local_features, comm_ptr(comm));
  const auto labels = comm.all_gather(local_labels.contiguous());

  PartialFcOutput out;
  torch::Tensor w = weight;
  torch::Tensor local;  // column of each row's class here, or -1
  if (options_.sample_rate() >= 1.0) {
    out.classes = torch::arange(range_.start, range_.end, labels.options());
    local = torch::where(labels.ge(range_.start).logical_and(labels.lt(range_.end)), labels - range_.start,
                         torch::full_like(labels, -1));
  } else {
    const auto classes = sample_classes(labels, iteration);
    out.classes = classes.to(labels.device());
    w = weight.index_select(0, (classes - range_.start).to(weight.device()));
    // Column of each label among the sorted sampled classes; -1 when absent (not here or not sampled).
    const auto pos = torch::searchsorted(out.classes, labels).clamp_max(out.classes.size(0) - 1);
    local = torch::where(out.classes.index_select(0, pos).eq(labels), pos, torch::full_like(labels, -1));
  }
  const HeadGeometry g = head_geometry(*margin_, head.embedding_dim(), features, w);
  out.logits = apply_target_margin(*margin_, g, local, iteration, /*allow_missing=*/true);
  out.loss = DistCrossEntropyFn::apply(out.logits, local, comm_ptr(comm));
  out.labels = local;
  out.lambda = margin_->lambda(iteration);
  return out;
}

void PartialFcImpl::pretty_print(std::ostream& stream) const {
  stream << "fv::PartialFc(" << describe(options_.head()) << ", sample_rate=" << options_.sample_rate()
         << ", classes [" << range_.start << ", " << range_.end << "))";
}

torch::Tensor distributed_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels, Communicator& comm) {
  FV_CHECK(logits.dim() == 2 && labels.dim() == 1 && labels.size(0) == logits.size(0), DataError,
           "distributed_cross_entropy expects logits [N, C] and labels [N], got [{}] and [{}]",
           fmt::format("{}", fmt::join(logits.sizes(), ", ")), fmt::format("{}", fmt::join(labels.sizes(), ", ")));
  const auto z = logits.scalar_type() == torch::kDouble ? logits : logits.to(torch::kFloat);
  return DistCrossEntropyFn::apply(z, labels, comm_ptr(comm));
}

torch::Tensor distributed_top1_accuracy(const torch::Tensor& logits, const torch::Tensor& labels, Communicator& comm) {
  torch::NoGradGuard no_grad;
  const auto z = logits.detach().to(torch::kFloat);
  auto row_max = std::get<0>(z.max(1)).contiguous();
  comm.allreduce_max_(row_max);
  const auto valid = labels.ge(0);
  const auto target = z.gather(1, labels.clamp_min(0).unsqueeze(1)).squeeze(1);
  auto hits = valid.logical_and(target.ge(row_max)).sum().to(torch::kFloat).reshape({1}).contiguous();
  comm.allreduce_sum_(hits);
  return (hits / static_cast<double>(z.size(0))).squeeze(0);
}

torch::Tensor all_gather_with_grad(const torch::Tensor& local, Communicator& comm) {
  return AllGatherFn::apply(local, comm_ptr(comm));
}

}  // namespace fv
