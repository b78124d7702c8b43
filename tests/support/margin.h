// Outcome checks that report their margin: a float result held against a bar, printed as one line so that
// scripts/check-numerics.sh can tabulate the value each OpenBLAS kernel gives.
//
// Training and other float outcomes differ in their last bits between CPUs (OpenBLAS picks its kernel by CPU
// and each sums in its own order); a test that asserts on such an outcome must hold with a margin that has been
// measured under every kernel. Write the check as
//     EXPECT_TRUE(testing::below("loss_last_over_first", last / first, 0.5));
// and it prints
//     [fv-margin] Trainer.LossFalls loss_last_over_first 0.213 < 0.5 margin 2.35
// where the margin is bar / value for `below` and value / bar for `above` (> 1 when the check holds).
#pragma once

#include <string_view>

#include <gtest/gtest.h>

namespace fv::testing {

// Holds when value < bar. Prints the [fv-margin] line either way.
::testing::AssertionResult below(std::string_view quantity, double value, double bar);
// Holds when value > bar. Prints the [fv-margin] line either way.
::testing::AssertionResult above(std::string_view quantity, double value, double bar);

}  // namespace fv::testing
