// Training-curves chart: per-run data tables and the 2x2 multiplot script.
#include "plot/curves_chart.h"

#include <fmt/format.h>

#include "core/error.h"
#include "plot/gnuplot.h"
#include "plot/scratch_dir.h"

namespace fv::plot {
namespace {

struct Panel {
  const char* column;  // its name in the table's header
  const char* title;
  std::optional<double> TrainRecord::*field;
  bool log_when_positive;
  bool zero_is_absent;  // fv-train logs lambda 0 for margins without one (Margin::lambda)
  const char* absent;
};
// In table column order: column 2 is the first panel's field.
constexpr Panel kPanels[] = {
    {"loss", "loss", &TrainRecord::loss, false, false, "no run logs a loss"},
    {"accuracy", "training accuracy", &TrainRecord::accuracy, false, false, "no run logs a training accuracy"},
    {"lr", "learning rate", &TrainRecord::lr, true, false, "no run logs a learning rate"},
    {"lambda", "lambda (L-Softmax)", &TrainRecord::lambda, true, true, "no run logs a lambda (L-Softmax only)"},
};
constexpr std::size_t kPointsBelow = 30;

bool logs(const TrainCurves& curves, const Panel& panel) {
  for (const auto& r : curves.records) {
    const auto& v = r.*panel.field;
    if (v && !(panel.zero_is_absent && *v == 0)) return true;
  }
  return false;
}

bool all_positive(const std::vector<CurvesRun>& runs, const Panel& panel) {
  for (const auto& run : runs) {
    if (!logs(run.curves, panel)) continue;
    for (const auto& r : run.curves.records) {
      const auto& v = r.*panel.field;
      if (v && *v <= 0) return false;
    }
  }
  return true;
}

std::string panel_script(const Panel& panel, std::size_t column, const std::vector<CurvesRun>& runs,
                         const std::vector<std::filesystem::path>& tables) {
  std::string s = fmt::format("set title {}\n", gnuplot_quoted(panel.title));
  std::vector<std::string> lines;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    if (!logs(runs[i].curves, panel)) continue;
    const bool points = runs[i].curves.records.size() < kPointsBelow;
    lines.push_back(fmt::format("{} using 1:{} with {} linewidth 2 linecolor {} title {}",
                                gnuplot_quoted(tables[i].string()), column,
                                points ? "linespoints pointtype 7 pointsize 0.6" : "lines", i + 1,
                                gnuplot_quoted(runs[i].label)));
  }
  if (lines.empty()) {
    return s + fmt::format("set label 1 {} at graph 0.5,0.5 center\nplot [0:1][0:1] 2 notitle\nunset label 1\n",
                           gnuplot_quoted(panel.absent));
  }
  const bool log_axis = panel.log_when_positive && all_positive(runs, panel);
  if (log_axis) s += "set logscale y\n";
  s += "plot ";
  for (std::size_t i = 0; i < lines.size(); ++i) s += (i > 0 ? ", \\\n     " : "") + lines[i];
  s += "\n";
  if (log_axis) s += "unset logscale y\n";
  return s;
}

}  // namespace

std::string curves_table(const TrainCurves& curves) {
  std::string s = "# step";
  for (const Panel& p : kPanels) s += fmt::format(" {}", p.column);
  s += "\n";
  for (const auto& r : curves.records) {
    s += fmt::format("{}", r.step);
    for (const Panel& p : kPanels) {
      const auto& v = r.*p.field;
      s += v ? fmt::format(" {}", *v) : std::string(" ?");
    }
    s += "\n";
  }
  return s;
}

std::string curves_script(const std::vector<CurvesRun>& runs, const std::vector<std::filesystem::path>& tables,
                          const std::string& title) {
  if (runs.size() != tables.size()) {
    throw ConfigError(fmt::format("curves_script: {} runs but {} data tables", runs.size(), tables.size()));
  }
  std::string s = "# Training curves (fv_plot): loss, training accuracy, learning rate, lambda against step\n";
  s += fmt::format("set multiplot layout 2,2 title {}\n", gnuplot_quoted(title));
  s += "set datafile missing '?'\nset grid\nset key top right\nset xlabel 'step'\n";
  for (std::size_t p = 0; p < std::size(kPanels); ++p) s += panel_script(kPanels[p], p + 2, runs, tables);
  return s + "unset multiplot\n";
}

void draw_curves(const std::vector<CurvesRun>& runs, const std::filesystem::path& png, const std::string& title,
                 const std::string& gnuplot) {
  if (runs.empty()) throw ConfigError(fmt::format("cannot draw '{}': no training run given", png.string()));
  const ScratchDir scratch;
  std::vector<std::filesystem::path> tables;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    tables.push_back(scratch.write(fmt::format("run{}.dat", i), curves_table(runs[i].curves)));
  }
  render_png(curves_script(runs, tables, title), png, PngSize{1200, 900}, gnuplot);
}

}  // namespace fv::plot
