// L-Softmax (Liu et al., ICML 2016) and A-Softmax (SphereFace, Liu et al., CVPR 2017): the building blocks of
// their target logit and the annealing weight lambda.
#pragma once

#include <torch/torch.h>

#include <cstdint>

#include "train/head_options.h"

namespace fv {

// cos(m theta) from c = cos(theta) by the multiple-angle (Chebyshev) expansion T_m(c), m in {1,2,3,4}:
// T1 = c, T2 = 2c^2 - 1, T3 = 4c^3 - 3c, T4 = 8c^4 - 8c^2 + 1 (Liu et al. 2016, eq. (7)).
torch::Tensor cos_multiple_angle(const torch::Tensor& cos_theta, int m);

// L-Softmax psi (Liu et al. 2016, eq. (6)): psi(theta) = (-1)^k cos(m theta) - 2k for theta in
// [k pi/m, (k+1) pi/m], k in {0..m-1}, computed from c = cos(theta) without acos: k counts the thresholds
// cos(j pi/m), j = 1..m-1, that c lies below. Continuous and decreasing on [0, pi], psi(0) = 1,
// psi(pi) = 1 - 2m. Differentiable in c almost everywhere (k is piecewise constant).
torch::Tensor lsoftmax_psi(const torch::Tensor& cos_theta, int m);

// The L-Softmax annealing weight for `iteration` (>= 0), as the authors' Caffe layer
// (large_margin_inner_product_layer): max(lambda_min, base * (1 + gamma*it)^-power).
double lsoftmax_lambda(const HeadOptions& options, int64_t iteration);

}  // namespace fv
