// CurvesPlotter: fv_plot's training-curves chart for the run being trained.
#include "train/curves_plotter.h"

#include "core/error.h"
#include "core/logging.h"
#include "plot/curves_chart.h"
#include "plot/gnuplot.h"
#include "plot/plot_run.h"

namespace fv {

CurvesPlotter::CurvesPlotter(bool enabled, const std::string& gnuplot, std::filesystem::path run_folder,
                             std::string title)
    : run_folder_(std::move(run_folder)), title_(std::move(title)) {
  if (!enabled) return;
  const std::filesystem::path program = plot::find_gnuplot(gnuplot);
  if (program.empty()) {
    log::warn("gnuplot ('{}') not found: no curves.png in {} (install gnuplot, or draw them later with fv-plot)",
              gnuplot, run_folder_.string());
    return;
  }
  gnuplot_ = program.string();
}

void CurvesPlotter::draw() const {
  if (gnuplot_.empty()) return;
  const auto png = run_folder_ / "curves.png";
  try {
    const auto jsonl = run_folder_ / "train.jsonl";
    plot::draw_curves({{plot::default_label(run_folder_), plot::read_train_jsonl(jsonl)}}, png, title_, gnuplot_);
  } catch (const Error& e) {
    log::warn("{} not drawn: {}", png.string(), e.what());
  }
}

}  // namespace fv
