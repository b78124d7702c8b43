// Training-curves chart: per-run data tables and the 2x2 multiplot script.
#include "plot/curves_chart.h"

#include <fmt/format.h>

#include <algorithm>

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

std::string validation_panel(const std::vector<CurvesRun>& runs, const std::vector<ValidationTable>& tables) {
  std::string s = "set title 'validation accuracy'\nplot ";
  for (std::size_t i = 0; i < tables.size(); ++i) {
    const auto& t = tables[i];
    const std::string label = runs.size() > 1 ? runs.at(t.run).label + ": " + t.set : t.set;
    s += fmt::format("{}{} using 1:2 with linespoints pointtype 7 pointsize 0.6 linewidth 2 linecolor {} title {}",
                     i > 0 ? ", \\\n     " : "", gnuplot_quoted(t.file.string()), i + 1, gnuplot_quoted(label));
  }
  return s + "\n";
}

}  // namespace

std::string validation_table(const TrainCurves& curves, const std::string& set) {
  std::string s = "# step accuracy\n";
  for (const auto& v : curves.validations)
    if (v.set == set) s += fmt::format("{} {}\n", v.step, v.accuracy);
  return s;
}

std::vector<std::string> validation_sets(const TrainCurves& curves) {
  std::vector<std::string> sets;
  for (const auto& v : curves.validations)
    if (std::find(sets.begin(), sets.end(), v.set) == sets.end()) sets.push_back(v.set);
  return sets;
}

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
                          const std::string& title, const std::vector<ValidationTable>& validation) {
  if (runs.size() != tables.size()) {
    throw ConfigError(fmt::format("curves_script: {} runs but {} data tables", runs.size(), tables.size()));
  }
  std::string s = "# Training curves (fv_plot): loss, training accuracy, learning rate, lambda against step\n";
  s += fmt::format("set multiplot layout {} title {}\n", validation.empty() ? "2,2" : "3,2", gnuplot_quoted(title));
  s += "set datafile missing '?'\nset grid\nset key top right\nset xlabel 'step'\n";
  for (std::size_t p = 0; p < std::size(kPanels); ++p) s += panel_script(kPanels[p], p + 2, runs, tables);
  if (!validation.empty()) s += validation_panel(runs, validation);
  return s + "unset multiplot\n";
}

void draw_curves(const std::vector<CurvesRun>& runs, const std::filesystem::path& png, const std::string& title,
                 const std::string& gnuplot) {
  if (runs.empty()) throw ConfigError(fmt::format("cannot draw '{}': no training run given", png.string()));
  const ScratchDir scratch;
  std::vector<std::filesystem::path> tables;
  std::vector<ValidationTable> validation;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    tables.push_back(scratch.write(fmt::format("run{}.dat", i), curves_table(runs[i].curves)));
    const auto sets = validation_sets(runs[i].curves);
    for (std::size_t k = 0; k < sets.size(); ++k) {
      validation.push_back({i, sets[k], scratch.write(fmt::format("run{}-val{}.dat", i, k),
                                                      validation_table(runs[i].curves, sets[k]))});
    }
  }
  render_png(curves_script(runs, tables, title, validation), png,
             validation.empty() ? PngSize{1200, 900} : PngSize{1200, 1350}, gnuplot);
}

}  // namespace fv::plot
