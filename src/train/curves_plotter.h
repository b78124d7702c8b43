// curves.png in fv-train's run folder: the run's training curves, redrawn from train.jsonl by the plot library.
#pragma once

#include <filesystem>
#include <string>

namespace fv {

class CurvesPlotter {
 public:
  // `enabled` false (train.plot = false) makes draw() do nothing. When `gnuplot` (train.gnuplot) is not found,
  // warns once here and draws nothing: a machine without gnuplot trains as well.
  CurvesPlotter(bool enabled, const std::string& gnuplot, std::filesystem::path run_folder, std::string title);

  // Redraws run_folder/curves.png from run_folder/train.jsonl (fv_plot's draw_curves, one run labelled with the
  // folder's name). Never throws for a plot's sake: a failure is logged as a warning, training goes on.
  void draw() const;

 private:
  std::string gnuplot_;  // empty: disabled
  std::filesystem::path run_folder_;
  std::string title_;
};

}  // namespace fv
