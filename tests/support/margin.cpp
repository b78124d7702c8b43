// Outcome checks that report their margin (see margin.h).
#include "support/margin.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <string>

namespace fv::testing {
namespace {

std::string current_test() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  return info ? std::string(info->test_suite_name()) + "." + info->name() : std::string("(no test)");
}

::testing::AssertionResult check(std::string_view quantity, double value, const char* op, double bar, bool holds,
                                 double margin) {
  // One line on stdout, whatever gtest's output settings, so that a script can grep it; the quantity is one word.
  std::string name(quantity);
  std::replace(name.begin(), name.end(), ' ', '_');
  std::printf("[fv-margin] %s %s %.6g %s %.6g margin %.3g\n", current_test().c_str(), name.c_str(), value, op, bar,
              margin);
  std::fflush(stdout);
  if (holds) return ::testing::AssertionSuccess();
  return ::testing::AssertionFailure() << quantity << " = " << value << ", expected " << op << " " << bar;
}

}  // namespace

::testing::AssertionResult below(std::string_view quantity, double value, double bar) {
  const bool holds = std::isfinite(value) && value < bar;
  return check(quantity, value, "<", bar, holds, value > 0 ? bar / value : INFINITY);
}

::testing::AssertionResult above(std::string_view quantity, double value, double bar) {
  const bool holds = std::isfinite(value) && value > bar;
  return check(quantity, value, ">", bar, holds, bar > 0 ? value / bar : INFINITY);
}

}  // namespace fv::testing
