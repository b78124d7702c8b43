// The margin functions: each turns the plain target logit into the paper's target logit. Injected into
// the ClassifierHead, which owns the class weights; cross-entropy is applied once, by the head.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <memory>
#include <string>

#include "train/head_options.h"

namespace fv {

// Per-sample quantities of the target class y_i that the head hands to a margin (all 1-D, length N, fp32).
struct TargetTerms {
  torch::Tensor cos;    // cos(theta_y), clamped to [-1, 1]
  torch::Tensor scale;  // the factor in front of the cosine: ||W_y|| ||x|| (L-/A-Softmax) or s (CosFace/ArcFace)
  torch::Tensor plain;  // the target logit without a margin (what inference_logits gives for class y)
};

class Margin {
 public:
  virtual ~Margin() = default;
  // The target logits with the margin applied (1-D, length N). `iteration` (>= 0) drives annealing.
  virtual torch::Tensor target_logit(const TargetTerms& terms, int64_t iteration) const = 0;
  // The annealing weight in use at `iteration` (L-Softmax lambda), 0 for margins without one.
  virtual double lambda(int64_t iteration) const { return 0.0; }
};

// The margin for options.kind(); `options` must be valid (see validate()).
std::shared_ptr<Margin> make_margin(const HeadOptions& options);

// cos(m theta) from c = cos(theta) by the multiple-angle (Chebyshev) expansion T_m(c), m in {1,2,3,4}:
// T1 = c, T2 = 2c^2 - 1, T3 = 4c^3 - 3c, T4 = 8c^4 - 8c^2 + 1 (Liu et al. 2016, eq. (7)).
torch::Tensor cos_multiple_angle(const torch::Tensor& cos_theta, int m);

// L-Softmax psi (Liu et al. 2016, eq. (6)): psi(theta) = (-1)^k cos(m theta) - 2k for theta in
// [k pi/m, (k+1) pi/m], k in {0..m-1}, computed from c = cos(theta) without acos: k counts the thresholds
// cos(j pi/m), j = 1..m-1, that c lies below. Continuous and decreasing on [0, pi], psi(0) = 1,
// psi(pi) = 1 - 2m. Differentiable in c almost everywhere (k is piecewise constant).
torch::Tensor lsoftmax_psi(const torch::Tensor& cos_theta, int m);

}  // namespace fv
