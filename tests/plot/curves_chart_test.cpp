// The training-curves chart: data tables, the script for one and several runs, a real PNG when gnuplot is there.
#include "plot/curves_chart.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "plot/gnuplot.h"
#include "support/png.h"
#include "support/scoped_env.h"
#include "support/temp_dir.h"

namespace fv::plot {
namespace {

TrainRecord record(std::int64_t step, double loss, double accuracy, double lr, std::optional<double> lambda) {
  TrainRecord r;
  r.step = step;
  r.loss = loss;
  r.accuracy = accuracy;
  r.lr = lr;
  r.lambda = lambda;
  return r;
}

// An L-Softmax run (lambda annealed) and a softmax run (fv-train logs lambda 0 for it), 40 records each.
CurvesRun lsoftmax_run(const std::string& label) {
  CurvesRun run{label, {}};
  for (int i = 1; i <= 40; ++i) run.curves.records.push_back(record(10 * i, 2.0 / i, 1.0 - 1.0 / i, 0.1, 1000.0 / i));
  return run;
}
CurvesRun softmax_run(const std::string& label) {
  CurvesRun run{label, {}};
  for (int i = 1; i <= 40; ++i) run.curves.records.push_back(record(10 * i, 1.0 / i, 1.0 - 0.5 / i, i < 20 ? 0.1 : 0.01, 0.0));
  return run;
}

std::size_t count(const std::string& text, const std::string& what) {
  std::size_t n = 0;
  for (auto at = text.find(what); at != std::string::npos; at = text.find(what, at + 1)) ++n;
  return n;
}

TEST(CurvesChart, TableHasOneRowPerRecordAndMarksMissingValues) {
  TrainCurves c;
  c.records.push_back(record(20, 2.5, 0.25, 0.1, 1000.0));
  TrainRecord partial;
  partial.step = 40;
  partial.loss = 1.5;
  c.records.push_back(partial);
  EXPECT_EQ(curves_table(c), "# step loss accuracy lr lambda\n20 2.5 0.25 0.1 1000\n40 1.5 ? ? ?\n");
}

TEST(CurvesChart, ScriptForOneRun) {
  const std::string s = curves_script({lsoftmax_run("m=2")}, {"/scratch/run0.dat"}, "MNIST, seed 1");
  EXPECT_NE(s.find("set multiplot layout 2,2 title 'MNIST, seed 1'\n"), std::string::npos) << s;
  EXPECT_NE(s.find("set datafile missing '?'\n"), std::string::npos) << s;
  for (const char* title : {"'loss'", "'training accuracy'", "'learning rate'", "'lambda (L-Softmax)'"}) {
    EXPECT_NE(s.find(std::string("set title ") + title + "\n"), std::string::npos) << title << "\n" << s;
  }
  for (int column = 2; column <= 5; ++column) {
    EXPECT_NE(s.find("plot '/scratch/run0.dat' using 1:" + std::to_string(column) +
                     " with lines linewidth 2 linecolor 1 title 'm=2'\n"),
              std::string::npos)
        << column << "\n" << s;
  }
  // lr and lambda are positive throughout: log axes for those two panels only.
  EXPECT_EQ(count(s, "\nset logscale y\n"), 2u) << s;
  EXPECT_EQ(count(s, "unset logscale y\n"), 2u) << s;
  EXPECT_LT(s.find("set logscale y"), s.find("using 1:4")) << s;
  EXPECT_GT(s.find("set logscale y"), s.find("using 1:3")) << s;
  EXPECT_EQ(s.substr(s.size() - 16), "unset multiplot\n");
}

TEST(CurvesChart, ScriptOverlaysSeveralRunsWithEscapedLabels) {
  const std::vector<CurvesRun> runs = {lsoftmax_run("L-Softmax 'm=2'"), softmax_run("soft\\max \"base\" `x`")};
  const std::string s = curves_script(runs, {"/s/run0.dat", "/s/run1.dat"}, "it's");
  EXPECT_NE(s.find("title 'it''s'\n"), std::string::npos) << s;
  EXPECT_NE(s.find("plot '/s/run0.dat' using 1:2 with lines linewidth 2 linecolor 1 title 'L-Softmax ''m=2''', \\\n"
                   "     '/s/run1.dat' using 1:2 with lines linewidth 2 linecolor 2 title 'soft\\max \"base\" `x`'\n"),
            std::string::npos)
      << s;
  // The softmax run logs lambda 0 (no lambda): the lambda panel shows the L-Softmax run alone, on a log axis.
  EXPECT_NE(s.find("plot '/s/run0.dat' using 1:5 with lines linewidth 2 linecolor 1 title 'L-Softmax ''m=2'''\n"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("'/s/run1.dat' using 1:5"), std::string::npos) << s;
  EXPECT_EQ(count(s, "\nset logscale y\n"), 2u) << s;
}

TEST(CurvesChart, PanelWithoutDataSaysSoAndNonPositiveValuesStayLinear) {
  CurvesRun run = softmax_run("softmax");
  run.curves.records.resize(3);  // few records: points as well as lines
  run.curves.records[0].lr = 0.0;  // a warm-up from 0: no log axis for lr
  run.curves.records[1].accuracy.reset();
  const std::string s = curves_script({run}, {"/s/r.dat"}, "t");
  EXPECT_NE(s.find("set label 1 'no run logs a lambda (L-Softmax only)' at graph 0.5,0.5 center\n"
                   "plot [0:1][0:1] 2 notitle\nunset label 1\n"),
            std::string::npos)
      << s;
  EXPECT_EQ(s.find("set logscale y"), std::string::npos) << s;
  EXPECT_NE(s.find("using 1:3 with linespoints pointtype 7 pointsize 0.6 linewidth 2 linecolor 1 title 'softmax'"),
            std::string::npos)
      << s;
  EXPECT_THROW(curves_script({run}, {}, "t"), ConfigError);
}

TEST(CurvesChart, ValidationPanelHasOneLinePerSet) {
  CurvesRun run = softmax_run("r");
  run.curves.validations = {{10, "lfw", 0.5}, {10, "agedb_30", 0.25}, {20, "lfw", 0.75}};
  EXPECT_EQ(validation_sets(run.curves), (std::vector<std::string>{"lfw", "agedb_30"}));
  EXPECT_EQ(validation_table(run.curves, "lfw"), "# step accuracy\n10 0.5\n20 0.75\n");
  const std::string s = curves_script({run}, {"/s/r.dat"}, "t",
                                      {{0, "lfw", "/s/r-val0.dat"}, {0, "agedb_30", "/s/r-val1.dat"}});
  EXPECT_NE(s.find("set multiplot layout 3,2 title 't'\n"), std::string::npos) << s;
  EXPECT_NE(s.find("set title 'validation accuracy'\nplot '/s/r-val0.dat' using 1:2 with linespoints pointtype 7 "
                   "pointsize 0.6 linewidth 2 linecolor 1 title 'lfw'"),
            std::string::npos)
      << s;
  EXPECT_NE(s.find("'/s/r-val1.dat' using 1:2 with linespoints pointtype 7 pointsize 0.6 linewidth 2 linecolor 2 "
                   "title 'agedb_30'"),
            std::string::npos)
      << s;
  // Without validations: the 2x2 chart, unchanged.
  EXPECT_NE(curves_script({run}, {"/s/r.dat"}, "t").find("layout 2,2"), std::string::npos);
}

TEST(CurvesChart, DrawsAPngForSeveralRunsAndRemovesItsDataFiles) {
  if (find_gnuplot("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  testing::TempDir dir;
  const auto tmp = dir / "tmp";
  std::filesystem::create_directories(tmp);
  const testing::ScopedEnv tmpdir("TMPDIR", tmp.string());
  std::filesystem::create_directories(dir / "out");
  CurvesRun empty{"no records yet", {}};
  CurvesRun validated = softmax_run("softmax");
  validated.curves.validations = {{100, "lfw", 0.9}, {200, "lfw", 0.95}, {200, "cfp_fp", 0.8}};
  draw_curves({lsoftmax_run("it's \"m=2\" back\\slash"), validated, empty}, dir / "out/curves.png",
              "several 'runs'", "gnuplot");
  EXPECT_TRUE(testing::is_png(dir / "out/curves.png"));
  EXPECT_GT(std::filesystem::file_size(dir / "out/curves.png"), 10000u);
  EXPECT_TRUE(std::filesystem::is_empty(tmp)) << "the data tables and the script are removed";
  EXPECT_EQ(std::distance(std::filesystem::directory_iterator(dir / "out"), {}), 1);
  // One run whose panels are all empty draws too (each says what it lacks).
  draw_curves({empty}, dir / "out/empty.png", "nothing logged", "gnuplot");
  EXPECT_TRUE(testing::is_png(dir / "out/empty.png"));
  EXPECT_THROW(draw_curves({}, dir / "out/none.png", "t", "gnuplot"), ConfigError);
}

}  // namespace
}  // namespace fv::plot
