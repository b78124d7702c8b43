// L2-softmax (Ranjan et al. 2017): the bound on its feature scale alpha.
#pragma once

#include <cstdint>

namespace fv {

// Ranjan et al. 2017, eq. (8): the smallest alpha for which a class can reach probability p among
// `num_classes` classes, alpha_low = log(p (C - 2) / (1 - p)). Requires C > 2 and 0 < p < 1 (else ConfigError).
double l2softmax_alpha_lower_bound(int64_t num_classes, double p = 0.9);

}  // namespace fv
