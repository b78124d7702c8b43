// Thread-count resolution and the stop flag.
#include "core/runtime.h"

#include <gtest/gtest.h>

#include <cstdlib>
#include <thread>

namespace fv {
namespace {

TEST(Runtime, AvailableCoresIsPositiveAndBounded) {
  const int cores = available_cores();
  EXPECT_GE(cores, 1);
  EXPECT_LE(cores, static_cast<int>(std::max(1u, std::thread::hardware_concurrency())));
}

TEST(Runtime, ResolveThreadsHonoursRequestThenOmpThenCores) {
  EXPECT_EQ(resolve_threads(5), 5);
  ::setenv("OMP_NUM_THREADS", "3", 1);
  EXPECT_EQ(resolve_threads(0), 3);
  ::unsetenv("OMP_NUM_THREADS");
  EXPECT_EQ(resolve_threads(0), available_cores());
}

TEST(Runtime, StopFlag) {
  EXPECT_FALSE(stop_requested());
  request_stop();
  EXPECT_TRUE(stop_requested());
}

}  // namespace
}  // namespace fv
