// ROC plots (log-scale FAR axis; one or several runs on one plot), drawn through the plot library's gnuplot runner.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fv::eval {

struct RocCurve {
  std::string label;
  std::filesystem::path csv;  // roc.csv as written by roc_csv() (threshold,far,tar)
};

// The gnuplot commands, without terminal and output (see plot::render_png), that draw `curves`: FAR from 1e-6 to 1
// on a log axis (points with FAR = 0 cannot be drawn on that axis), TAR from 0 to 1; labels and paths quoted.
std::string roc_script(const std::vector<RocCurve>& curves, const std::string& title);

// Draws `curves` into `png` (800x600) with plot::render_png (atomic; IoError naming `png` when gnuplot cannot be
// found or fails, with the hint that eval.plot = false skips plotting). The whole script is kept
// beside the PNG (roc.gp for roc.png), naming the final PNG, so the plot can be restyled and redrawn.
void plot_rocs(const std::vector<RocCurve>& curves, const std::filesystem::path& png, const std::string& title,
               const std::string& gnuplot);

}  // namespace fv::eval
