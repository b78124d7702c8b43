// Partial FC (An et al., "Killing Two Birds with One Stone: Efficient and Robust Training of Face
// Recognition CNNs by Partial FC", CVPR 2022; insightface arcface_torch/partial_fc_v2.py): the classifier
// sharded across ranks (rank r holds the class weights of shard_range(C, world, r)), the features of the
// global batch all-gathered, an optional sampling of the negative classes, the same margins as the
// ClassifierHead, and a cross-entropy distributed over the shards.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>

#include "train/class_range.h"
#include "train/head_options.h"
#include "train/margin.h"

namespace fv {

class Communicator;

struct PartialFcOptions {
  explicit PartialFcOptions(HeadOptions head) : head_(std::move(head)) {}
  TORCH_ARG(HeadOptions, head);
  // Fraction of each shard's classes used per step, in (0, 1]: the positives of the global batch are always
  // kept, random negatives fill up to ceil(sample_rate * C_r) (insightface floors; ceil keeps >= 1 column).
  TORCH_ARG(double, sample_rate) = 1.0;
  // Seeds the weight initialisation (independent of the world size) and the negative sampling.
  TORCH_ARG(uint64_t, seed) = 1;
};

// Throws ConfigError naming the key: train.sample_rate outside (0, 1]; train.loss = l2softmax (its alpha is
// a head-wide parameter) or train.bias with a biased loss (not supported sharded); and whatever
// validate(HeadOptions) rejects.
void validate(const PartialFcOptions& options);

struct PartialFcOutput {
  torch::Tensor loss;     // 0-D fp32: mean cross-entropy over the GLOBAL batch, the same value on every rank
  torch::Tensor logits;   // [N_global, C_s] this rank's columns with the margin applied (fp32, what the loss saw)
  torch::Tensor classes;  // int64 [C_s]: the global class id of each column (sorted)
  torch::Tensor labels;   // int64 [N_global]: the column of each global row's class here, -1 when not here
  double lambda = 0.0;    // L-Softmax annealing weight used (0 for other losses)
};

class PartialFcImpl : public torch::nn::Module {
 public:
  // `comm` must outlive the module. Every rank builds its shard: weight [C_r, D] ~ N(0, 0.01^2), drawn
  // in blocks of rows seeded by (seed, block) so that the concatenated shards of any world size are the
  // same matrix. Throws as validate().
  PartialFcImpl(const PartialFcOptions& options, Communicator& comm);

  // Requires: local_features [B, D] float (the same B on every rank), local_labels int64 [B] in
  // [0, num_classes), iteration >= 0 (drives lambda and the sampling seed). Collective: every rank calls
  // it at the same step. The backward of the returned loss is collective too (one all-reduce of the
  // gathered features' gradient), so every rank must call backward on it.
  // Ensures: the gradient reaching local_features is world_size times this rank's share of d(loss)/d(x), so
  // that the backbone gradients averaged over ranks (GradientBucketer) are the exact global gradient.
  // Throws DataError naming the shapes or the bad label.
  PartialFcOutput forward(const torch::Tensor& local_features, const torch::Tensor& local_labels, int64_t iteration);

  // The global class ids of the columns sampled for `iteration` given the gathered labels (all of the
  // shard when sample_rate == 1). Deterministic in (seed, iteration, rank). Exposed for tests.
  torch::Tensor sample_classes(const torch::Tensor& global_labels, int64_t iteration) const;

  const PartialFcOptions& options() const { return options_; }
  ClassRange range() const { return range_; }
  int64_t num_sampled() const;  // ceil(sample_rate * C_r)
  void pretty_print(std::ostream& stream) const override;

  torch::Tensor weight;  // [C_r, D]: this rank's classes range().start .. range().end - 1

 private:
  PartialFcOptions options_;
  Communicator* comm_;
  ClassRange range_;
  std::shared_ptr<Margin> margin_;
};
TORCH_MODULE(PartialFc);

// The cross-entropy over class columns sharded across ranks (insightface's DistCrossEntropy), in fp32:
// loss = mean_i [log sum_{all ranks' columns} exp(z_ij) - z_{i,y_i}], with the row maximum and the sum of
// exponentials all-reduced (MAX, SUM) and the target logit all-reduced from the rank that owns it.
// Requires logits [N, C_local] with the same N on every rank, labels int64 [N] (a local column, or -1 when
// the row's class is not here; exactly one rank must own each row's class). Collective in forward only;
// the gradient (softmax - one-hot) / N on the local columns needs no communication.
torch::Tensor distributed_cross_entropy(const torch::Tensor& logits, const torch::Tensor& labels, Communicator& comm);

// Training top-1 accuracy over sharded columns: the fraction of the N rows whose label column holds the
// largest logit among all ranks' columns (ties count as hits). With `logits` = PartialFcOutput::logits this
// is what top1_accuracy(ClassifierHead's logits) gives at world 1 and sample_rate 1; with sampling it is the
// accuracy among the sampled classes. Collective (two all-reduces); 0-D fp32, no gradient.
torch::Tensor distributed_top1_accuracy(const torch::Tensor& logits, const torch::Tensor& labels, Communicator& comm);

// all_gather along dim 0 with the gradient insightface's AllGatherFunc gives: the backward sums over ranks
// the gradient of this rank's rows and multiplies it by world_size (see PartialFcImpl::forward for why).
torch::Tensor all_gather_with_grad(const torch::Tensor& local, Communicator& comm);

}  // namespace fv
