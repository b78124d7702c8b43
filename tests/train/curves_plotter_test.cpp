// curves.png in a run folder: drawn from train.jsonl when gnuplot is there; a missing gnuplot or a bad log only warns.
#include "train/curves_plotter.h"

#include <gtest/gtest.h>

#include "plot/gnuplot.h"
#include "support/png.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

const char* const kLog = "{\"step\":2,\"loss\":2.0,\"accuracy\":0.2,\"lr\":0.1,\"lambda\":0.0}\n"
                         "{\"step\":4,\"loss\":1.0,\"accuracy\":0.6,\"lr\":0.1,\"lambda\":0.0}\n";

TEST(CurvesPlotter, MissingGnuplotOnlyWarns) {
  testing::TempDir dir;
  testing::write_text(dir / "train.jsonl", kLog);
  const CurvesPlotter plotter(true, (dir / "no-gnuplot").string(), dir.path(), "run");
  EXPECT_NO_THROW(plotter.draw());
  EXPECT_FALSE(std::filesystem::exists(dir / "curves.png"));
}

TEST(CurvesPlotter, DisabledDrawsNothing) {
  testing::TempDir dir;
  testing::write_text(dir / "train.jsonl", kLog);
  CurvesPlotter(false, "gnuplot", dir.path(), "run").draw();
  EXPECT_FALSE(std::filesystem::exists(dir / "curves.png"));
}

TEST(CurvesPlotter, DrawsTheRunAndSurvivesABadLog) {
  if (plot::find_gnuplot("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  testing::TempDir dir;
  testing::write_text(dir / "train.jsonl", kLog);
  const CurvesPlotter plotter(true, "gnuplot", dir.path(), "run: softmax");
  plotter.draw();
  EXPECT_TRUE(testing::is_png(dir / "curves.png"));
  testing::write_text(dir / "train.jsonl", "garbage\n");
  EXPECT_NO_THROW(plotter.draw());
  EXPECT_TRUE(testing::is_png(dir / "curves.png")) << "the previous chart stays";
}

}  // namespace
}  // namespace fv
