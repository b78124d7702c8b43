// One loss of the classifier head per class, as dlib keeps each loss in one object: a Margin owns its
// geometry (how the plain logits are formed from features and class weights), the terms its target logit needs,
// the paper's target logit, its annealing schedule (lambda), its bias and alpha rules, the validation of its keys
// and its description. The ClassifierHead (and Partial FC) own the weights and apply the cross-entropy once.
// Adding a loss: its file in train/margins/, its factory's line in margins/margins.h, its row in the table of names
// (margin_table.cpp) and its MarginKind value (head_options.h).
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "train/head_options.h"

namespace fv {

// The plain logits of features x [N, D] against class weights w [C, D], and the quantities a margin needs
// (undefined when its loss does not use them). Computed in at least fp32 (see head_geometry).
struct HeadGeometry {
  torch::Tensor logits;  // [N, C] plain logits
  torch::Tensor cos;     // [N, C] clamped cosines, when the margin needs them
  torch::Tensor norm_x;  // [N] ||x|| when needed
  torch::Tensor norm_w;  // [C] ||W_j|| when needed
};

// Per-sample quantities of the target class y_i that the head hands to a margin (all 1-D, length N, fp32).
struct TargetTerms {
  torch::Tensor cos;    // cos(theta_y), clamped to [-1, 1]
  torch::Tensor scale;  // the factor in front of the cosine: ||W_y|| ||x|| (L-/A-Softmax) or s (CosFace/ArcFace)
  torch::Tensor plain;  // the target logit without a margin (what inference_logits gives for class y)
};

class Margin {
 public:
  // Switch keys a loss reads besides its numbers; a switch set for a loss that does not read it is refused.
  enum Switches : unsigned { kNone = 0, kBias = 1, kAlpha = 2, kEasyMargin = 4 };

  virtual ~Margin() = default;

  // The plain logits and the terms this loss needs, from x [N, D] and w [C, D] already in the compute dtype;
  // alpha: the head's L2-softmax scale in that dtype (undefined unless has_alpha()). No bias (the head adds it).
  virtual HeadGeometry geometry(const torch::Tensor& x, const torch::Tensor& w, const torch::Tensor& alpha) const = 0;
  // The target column's terms for rows with labels `labels` (int64 [N], each a column of g). Default: the plain
  // target logit only.
  virtual TargetTerms target_terms(const HeadGeometry& g, const torch::Tensor& labels) const;
  // The target logits with the paper's margin applied (1-D, length N). `iteration` (>= 0) drives annealing.
  virtual torch::Tensor target_logit(const TargetTerms& terms, int64_t iteration) const = 0;
  // The annealing weight in use at `iteration` (L-Softmax lambda), 0 for margins without one.
  virtual double lambda(int64_t iteration) const { return 0.0; }
  // Its hyper-parameters for logs, each as " key=value" (empty when it has none).
  virtual std::string describe() const { return {}; }

  // Whether its paper allows a bias b_j on the logits (train.bias).
  bool allows_bias() const { return (switches_ & kBias) != 0; }
  // Whether the head holds a feature scale alpha for it (L2-softmax; train.learn_alpha applies).
  bool has_alpha() const { return (switches_ & kAlpha) != 0; }

 protected:
  // Throws ConfigError naming the key for a switch of `options` that this loss (`switches`) does not read.
  Margin(const HeadOptions& options, unsigned switches);

 private:
  unsigned switches_;
};

// The margin for options.kind(); its constructor validates the keys of that loss (ConfigError naming the key).
std::shared_ptr<Margin> make_margin(const HeadOptions& options);

// ||x|| per row, with a floor so that a zero row has a finite gradient (0 instead of 0/0).
torch::Tensor safe_row_norm(const torch::Tensor& x);
torch::Tensor normalize_rows(const torch::Tensor& x);

}  // namespace fv
