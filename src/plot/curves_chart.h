// The training-curves chart: loss, training accuracy, learning rate and lambda against step (a 2x2 gnuplot
// multiplot), one line per run, several runs overlaid in the same colours in every panel; when a run logged
// validations, a fifth panel (3x2 layout) with the validation accuracy of each set against step.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "plot/train_curves.h"

namespace fv::plot {

struct CurvesRun {
  std::string label;  // the run's name in the key
  TrainCurves curves;
};

// The data table gnuplot reads for one run: a comment header, then "step loss accuracy lr lambda" per record,
// '?' (the script's missing-value mark) where the record lacks the value.
std::string curves_table(const TrainCurves& curves);

// The data table of one validation set of a run: a comment header, then "step accuracy" per validation.
std::string validation_table(const TrainCurves& curves, const std::string& set);
// The sets a run validated on, in order of first appearance.
std::vector<std::string> validation_sets(const TrainCurves& curves);

struct ValidationTable {
  std::size_t run = 0;  // index into the runs
  std::string set;
  std::filesystem::path file;  // its validation_table
};

// The gnuplot commands (no terminal or output, see render_png) drawing `runs`, whose tables are the files
// `tables` (same order and count; throws ConfigError otherwise). A panel shows the runs that log its field (for
// lambda, a run logging 0 throughout logs none: fv-train writes 0 for margins without one); a panel no run
// logs says so in its middle. lr and lambda are on a log axis when every value drawn is > 0. A run with fewer
// than 30 records is drawn with points too (a single record would otherwise be invisible).
// `validation`: the validation tables (empty: no fifth panel, the 2x2 layout).
std::string curves_script(const std::vector<CurvesRun>& runs, const std::vector<std::filesystem::path>& tables,
                          const std::string& title, const std::vector<ValidationTable>& validation = {});

// Draws `runs` (at least one; ConfigError otherwise) into `png` (1200x900; 1200x1350 with validations) with the program `gnuplot` names (see
// find_gnuplot). The tables are written to a ScratchDir, removed afterwards. Throws IoError as render_png.
void draw_curves(const std::vector<CurvesRun>& runs, const std::filesystem::path& png, const std::string& title,
                 const std::string& gnuplot);

}  // namespace fv::plot
