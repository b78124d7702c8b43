// Tests of the fv-plot executable: exit codes for config, I/O and data errors, and a successful run.
#include <gtest/gtest.h>

#include <fmt/format.h>

#include "plot/gnuplot.h"
#include "support/command.h"
#include "support/png.h"
#include "support/temp_dir.h"

namespace fv::plot {
namespace {

testing::CommandResult run(const std::string& args) {
  return testing::run_command(fmt::format("{} {}", FV_PLOT_BIN, args));
}

const char* const kLog =
    "{\"step\":10,\"epoch\":0.1,\"loss\":2.3,\"accuracy\":0.1,\"lr\":0.1,\"lambda\":100.0}\n"
    "{\"step\":20,\"epoch\":0.2,\"loss\":1.1,\"accuracy\":0.6,\"lr\":0.1,\"lambda\":50.0}\n"
    "{\"event\":\"final\",\"step\":20,\"loss\":1.1}\n";

TEST(FvPlotCli, HelpListsTheKeys) {
  const auto help = run("--help");
  EXPECT_EQ(help.code, 0) << help.output;
  for (const char* key : {"plot.runs", "plot.labels", "plot.output", "plot.title", "plot.gnuplot"}) {
    EXPECT_NE(help.output.find(key), std::string::npos) << key << "\n" << help.output;
  }
  const auto config = run(fmt::format("--config {} --print-config", (testing::source_dir() / "configs/plot.ini").string()));
  EXPECT_EQ(config.code, 0) << config.output;
  EXPECT_NE(config.output.find("[plot]\n"), std::string::npos) << config.output;
}

TEST(FvPlotCli, ExitCodesNameTheProblem) {
  testing::TempDir dir;
  testing::write_text(dir / "a/train.jsonl", kLog);
  testing::write_text(dir / "b/train.jsonl", "{\"step\":10}\n{\"step\":20,\"loss\":[1]}\n");
  std::filesystem::create_directories(dir / "c");
  const std::string out = (dir / "out.png").string();

  auto expect = [&](const std::string& args, int code, const std::string& message) {
    const auto r = run(args);
    EXPECT_EQ(r.code, code) << args << "\n" << r.output;
    EXPECT_NE(r.output.find(message), std::string::npos) << args << "\n" << r.output;
  };
  expect("--plot.output " + out, 2, "config key 'plot.runs' is required");
  expect("--plot.runs x --plot.outptu " + out, 2, "plot.outptu");
  expect(fmt::format("--plot.runs {},{} --plot.labels one --plot.output {}", (dir / "a").string(),
                     (dir / "a").string(), out),
         2, "'plot.labels' gives 1 labels for 2 runs");
  expect(fmt::format("--plot.runs {} --plot.output {}", (dir / "a").string(), (dir / "out.jpg").string()), 2,
         "must end in .png");
  expect(fmt::format("--plot.runs {} --plot.output {}", (dir / "c").string(), out), 3,
         fmt::format("run folder '{}' has no train.jsonl", (dir / "c").string()));
  expect(fmt::format("--plot.runs {} --plot.output {}", (dir / "a").string(), (dir / "no/out.png").string()), 3,
         "its folder '" + (dir / "no").string() + "' does not exist");
  expect(fmt::format("--plot.runs {} --plot.output {}", (dir / "b").string(), out), 4,
         (dir / "b/train.jsonl").string() + ":2: \"loss\" must be a number, got [1]");
  expect(fmt::format("--plot.runs {} --plot.output {} --plot.gnuplot {}", (dir / "a").string(), out,
                     (dir / "no-gnuplot").string()),
         3, fmt::format("cannot draw '{}': gnuplot ('{}') was not found", out, (dir / "no-gnuplot").string()));
  EXPECT_FALSE(std::filesystem::exists(out));
}

TEST(FvPlotCli, DrawsSeveralRunsFromFoldersAndFiles) {
  if (find_gnuplot("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  testing::TempDir dir;
  testing::write_text(dir / "runs/softmax/train.jsonl", kLog);
  // A killed run: its torn last line is dropped with a warning.
  testing::write_text(dir / "runs/lsoftmax/train.jsonl", std::string(kLog) + "{\"step\":30,\"lo");
  const auto r = run(fmt::format("--plot.runs {},{} --plot.labels \"soft max,it's m=2\" --plot.output {} "
                                 "--plot.title 'MNIST \"full\"'",
                                 (dir / "runs/softmax").string(), (dir / "runs/lsoftmax/train.jsonl").string(),
                                 (dir / "curves.png").string()));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("curves: " + (dir / "curves.png").string()), std::string::npos) << r.output;
  EXPECT_NE(r.output.find((dir / "runs/lsoftmax/train.jsonl").string() + ":4: the last line is cut short"),
            std::string::npos)
      << r.output;
  EXPECT_TRUE(testing::is_png(dir / "curves.png"));
}

}  // namespace
}  // namespace fv::plot
