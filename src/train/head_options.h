// Hyper-parameters of the classifier head: which margin (softmax, L-Softmax, A-Softmax, L2-softmax,
// SM-Softmax, CosFace, ArcFace) and its numbers. What each loss does with them is its Margin's (train/margin.h).
#pragma once

#include <torch/arg.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

namespace fv {

class OptionSet;

// The margin applied to the target logit. Parsed from its name once (parse_margin_kind).
enum class MarginKind {
  kSoftmax,    // W^T x + b (the baseline)
  kLSoftmax,   // Liu et al., ICML 2016: ||W_y|| ||x|| psi(theta_y), integer m in {1,2,3,4}
  kASoftmax,   // SphereFace (Liu et al., CVPR 2017): L-Softmax with ||W_j|| = 1 and no bias
  kL2Softmax,  // Ranjan et al. 2017: softmax on alpha * x / ||x||
  kSMSoftmax,  // Liang et al. 2017: target logit W_y^T x - m, real m >= 0
  kCosFace,    // Wang et al. 2018 (CosFace / AM-Softmax): s (cos theta_y - m)
  kArcFace,    // Deng et al. 2019: s cos(theta_y + m)
};

// Names accepted in configs: softmax, lsoftmax, asoftmax, l2softmax, smsoftmax, cosface, arcface (the table of
// names, margin_table.cpp).
const std::vector<std::pair<std::string, MarginKind>>& margin_kind_names();
// Throws ConfigError naming `key` and listing the valid names when `name` is unknown.
MarginKind parse_margin_kind(std::string_view name, std::string_view key = "train.loss");
std::string margin_kind_name(MarginKind kind);

// TORCH_ARG style options; every number that changes a result is here (and so becomes a config key).
struct HeadOptions {
  HeadOptions(int64_t num_classes, int64_t embedding_dim) : num_classes_(num_classes), embedding_dim_(embedding_dim) {}

  TORCH_ARG(int64_t, num_classes);
  TORCH_ARG(int64_t, embedding_dim);
  TORCH_ARG(MarginKind, kind) = MarginKind::kSoftmax;
  // The margin. lsoftmax/asoftmax: an integer in {1,2,3,4}; smsoftmax: >= 0 (additive, in logit units);
  // cosface: in [0, 1] (cosine units); arcface: in [0, pi/2] (radians). Ignored by softmax and l2softmax.
  TORCH_ARG(double, m) = 0.0;
  // Scale s of the cosine logits (cosface, arcface).
  TORCH_ARG(double, s) = 64.0;
  // L2-softmax: features are scaled to norm alpha (initial value when learn_alpha).
  TORCH_ARG(double, alpha) = 16.0;
  TORCH_ARG(bool, learn_alpha) = false;
  // A bias b_j on the logits: only for the plain inner-product heads (softmax, l2softmax, smsoftmax).
  TORCH_ARG(bool, bias) = false;
  // L-Softmax / A-Softmax annealing, as the authors' Caffe layer: lambda = max(lambda_min,
  // base * (1 + gamma * iteration)^(-power)). Defaults: the L-Softmax paper's MNIST m=4 example.
  TORCH_ARG(double, lambda_base) = 1000.0;
  TORCH_ARG(double, lambda_gamma) = 2.5e-5;
  TORCH_ARG(double, lambda_power) = 35.0;
  TORCH_ARG(double, lambda_min) = 0.0;
  // ArcFace: apply the margin only where cos(theta) > 0 (else cos(theta) unchanged); otherwise use the
  // original fallback cos(theta) - m sin(m) where theta + m would pass pi.
  TORCH_ARG(bool, easy_margin) = false;
};

// Throws ConfigError naming the offending key (train.num_classes, train.embedding_dim, and the keys the loss's
// Margin checks: train.m, train.s, train.alpha, train.bias, train.learn_alpha, train.easy_margin, train.lambda_*).
void validate(const HeadOptions& options);

// Binds the loss keys to `options` (its current values are the defaults): train.loss, train.m, train.s,
// train.alpha, train.learn_alpha, train.bias, train.lambda_base, train.lambda_gamma, train.lambda_power,
// train.lambda_min, train.easy_margin. num_classes and embedding_dim are not keys: they come from the
// dataset and the backbone. Call validate() after parsing.
void bind(OptionSet& set, HeadOptions* options);

// One line with every hyper-parameter that applies to options.kind(), for logs. `options` must be valid.
std::string describe(const HeadOptions& options);

}  // namespace fv
