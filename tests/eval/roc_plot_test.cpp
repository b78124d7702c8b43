// ROC plots through the plot library: the script (quoted labels and paths), the kept roc.gp, the PNG.
#include "eval/roc_plot.h"

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "plot/gnuplot.h"
#include "support/png.h"
#include "support/temp_dir.h"

namespace fv::eval {
namespace {

TEST(RocPlot, ScriptQuotesLabelsAndPaths) {
  const std::string s = roc_script({{"run 'a'", "/r/a/roc.csv"}, {"b\\\"`x`", "/r/b/roc.csv"}}, "ROC: it's");
  EXPECT_EQ(s.rfind("set title 'ROC: it''s'\n", 0), 0u) << s;
  EXPECT_NE(s.find("set logscale x\nset xrange [1e-6:1]"), std::string::npos) << s;
  EXPECT_NE(s.find("plot '/r/a/roc.csv' every ::1 using 2:3 with lines linewidth 2 title 'run ''a''', \\\n"
                   "     '/r/b/roc.csv' every ::1 using 2:3 with lines linewidth 2 title 'b\\\"`x`'\n"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("set output"), std::string::npos) << "terminal and output are the runner's";
}

TEST(RocPlot, MissingGnuplotNamesThePngAndTheKeyThatSkipsIt) {
  testing::TempDir dir;
  try {
    plot_rocs({{"a", dir / "roc.csv"}}, dir / "roc.png", "ROC", (dir / "no-gnuplot").string());
    FAIL() << "no error";
  } catch (const IoError& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("cannot draw '" + (dir / "roc.png").string() + "'"), std::string::npos) << m;
    EXPECT_NE(m.find("eval.plot = false"), std::string::npos) << m;
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "roc.png"));
}

TEST(RocPlot, DrawsThePngAndKeepsTheScriptBesideIt) {
  testing::TempDir dir;
  testing::write_text(dir / "roc.csv", "threshold,far,tar\ninf,0,0\n1.5,0.001,0.5\n1,0.01,0.8\n0.5,0.1,0.95\n0,1,1\n");
  const std::vector<RocCurve> curves = {{"it's \"a\" back\\slash", dir / "roc.csv"}};
  if (plot::find_gnuplot("gnuplot").empty()) {
    GTEST_SKIP() << "gnuplot is not installed";
  }
  plot_rocs(curves, dir / "roc.png", "ROC", "gnuplot");
  EXPECT_TRUE(testing::is_png(dir / "roc.png"));
  const std::string kept = read_file(dir / "roc.gp");
  EXPECT_EQ(kept.rfind("# ROC plot written by fv-eval; run: gnuplot roc.gp\nset terminal pngcairo size 800,600 "
                       "noenhanced\nset output '" + (dir / "roc.png").string() + "'\nset title 'ROC'\n",
                       0),
            0u)
      << kept;
}

}  // namespace
}  // namespace fv::eval
