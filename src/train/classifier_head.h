// The classifier head: owns the class weights (and bias / L2-softmax alpha), applies its loss's Margin to
// the target logit in fp32 and computes the cross-entropy. One head for every loss of the project.
#pragma once

#include <torch/torch.h>

#include <memory>

#include "train/head_options.h"
#include "train/margin.h"

namespace fv {

struct HeadOutput {
  torch::Tensor logits;  // [N, C] fp32 (at least), with the margin applied to the target column (what the loss saw)
  torch::Tensor loss;    // 0-D fp32: cross_entropy(logits, labels)
  double lambda = 0.0;   // L-Softmax annealing weight used (0 for other losses)
};

// The plain logits of `features` [N, D] against class weight rows `weight` [C, D] (the whole head's, or a
// shard or sampled subset of it, as Partial FC uses), plus the terms `margin` needs: margin.geometry in at least
// fp32 (see ClassifierHeadImpl::forward), then + bias. bias [C] and alpha (0-D, L2-softmax) may be undefined.
// Throws DataError naming the shapes when features are not [N >= 1, embedding_dim].
HeadGeometry head_geometry(const Margin& margin, int64_t embedding_dim, const torch::Tensor& features,
                           const torch::Tensor& weight, const torch::Tensor& bias = {}, const torch::Tensor& alpha = {});

// The logits g.logits with `margin` applied to each row's target column labels[i].
// Requires labels int64 [N]; each in [0, C), or -1 when `allow_missing` and row i's class is not among
// these columns (Partial FC: the class lives on another rank or was not sampled): such rows keep their
// plain logits, and the margin is computed only on the rows that have their target here.
torch::Tensor apply_target_margin(const Margin& margin, const HeadGeometry& g,
                                  const torch::Tensor& labels, int64_t iteration, bool allow_missing = false);

class ClassifierHeadImpl : public torch::nn::Module {
 public:
  // Throws ConfigError (naming the key) when options are invalid. Weights ~ N(0, 0.01^2) as in
  // insightface's partial_fc; bias 0; alpha = options.alpha() (a parameter when learn_alpha).
  explicit ClassifierHeadImpl(const HeadOptions& options);

  // Training logits and loss. Requires features [N, embedding_dim] (any float type; computed in at least
  // fp32 regardless of autocast: fp16/bf16 are cast up, a head converted to double computes in double), labels int64 [N] in [0, num_classes), iteration >= 0 (drives lambda).
  // Throws DataError naming the shapes seen.
  HeadOutput forward(const torch::Tensor& features, const torch::Tensor& labels, int64_t iteration);

  // Test-time logits, no margin: W^T x + b (softmax, smsoftmax, and L-Softmax, whose test-time network is
  // the plain inner product), ||x|| cos(theta) for A-Softmax, W^T (alpha x/||x||) + b for L2-softmax,
  // s cos(theta) for CosFace/ArcFace. [N, C] fp32.
  torch::Tensor inference_logits(const torch::Tensor& features);

  // The current L2-softmax alpha (options.alpha() unless learned), or 0 for other losses.
  double alpha() const;
  const HeadOptions& options() const { return options_; }
  void pretty_print(std::ostream& stream) const override;

  torch::Tensor weight;  // [num_classes, embedding_dim]
  torch::Tensor bias;    // [num_classes] or undefined
  torch::Tensor alpha_tensor;  // 0-D, registered as "alpha" (L2-softmax only; a parameter when learned) or undefined

 private:
  HeadGeometry geometry(const torch::Tensor& features) const;

  HeadOptions options_;
  std::shared_ptr<Margin> margin_;
};
TORCH_MODULE(ClassifierHead);

}  // namespace fv
