// ROC plots drawn by gnuplot (log-scale FAR axis; one or several runs on one plot).
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fv::eval {

struct RocCurve {
  std::string label;
  std::filesystem::path csv;  // roc.csv as written by roc_csv() (threshold,far,tar)
};

// The gnuplot script that draws `curves` into `png` (pngcairo, 800x600, FAR from 1e-6 to 1 on a log axis;
// points with FAR = 0 cannot be drawn on that axis).
std::string gnuplot_script(const std::vector<RocCurve>& curves, const std::filesystem::path& png,
                           const std::string& title);

// Runs `gnuplot` on that script; the PNG is written to a temporary file and renamed (atomic). The script
// is kept beside the PNG (roc.gp) so the plot can be restyled. Throws IoError when gnuplot cannot be run
// or fails (set eval.plot = false to skip plotting on machines without gnuplot).
void plot_rocs(const std::vector<RocCurve>& curves, const std::filesystem::path& png, const std::string& title,
               const std::string& gnuplot);

}  // namespace fv::eval
