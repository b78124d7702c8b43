// Progress: counting across threads, status text, durations.
#include "core/progress.h"

#include <gtest/gtest.h>

#include <thread>
#include <vector>

namespace fv {
namespace {

TEST(Progress, CountsAcrossThreads) {
  Progress p("work", 4000, "img");
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&] {
      for (int i = 0; i < 1000; ++i) p.advance();
    });
  }
  for (auto& t : threads) t.join();
  EXPECT_EQ(p.count(), 4000u);
  EXPECT_GT(p.rate(), 0.0);
  const std::string s = p.status();
  EXPECT_EQ(s.rfind("work 4000/4000 100.0% ", 0), 0u) << s;
  EXPECT_NE(s.find("img/s"), std::string::npos) << s;
  EXPECT_EQ(s.find("ETA"), std::string::npos) << s;  // finished: no ETA
}

TEST(Progress, StatusShowsEtaWhileRunningAndNoPercentWithoutTotal) {
  Progress p("load", 100);
  p.advance(10);
  std::this_thread::sleep_for(std::chrono::milliseconds(20));
  EXPECT_NE(p.status().find("ETA "), std::string::npos) << p.status();
  Progress q("stream", 0);
  q.advance(5);
  EXPECT_EQ(q.status().find('%'), std::string::npos) << q.status();
}

TEST(Progress, FormatDuration) {
  EXPECT_EQ(format_duration(0), "0:00:00");
  EXPECT_EQ(format_duration(3725), "1:02:05");
  EXPECT_EQ(format_duration(-1), "?:??:??");
}

}  // namespace
}  // namespace fv
