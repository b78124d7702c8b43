// fv-plot's typed configuration: section [plot], bound to --plot.key options and configs/plot.ini.
#pragma once

#include <string>
#include <vector>

#include "core/options.h"

namespace fv::plot {

struct PlotConfig {
  // Run folders (holding train.jsonl) or train.jsonl files, comma-separated (so a name holds no comma).
  std::string runs;
  // One label per run, comma-separated, in the order of runs; empty: the run folders' names.
  std::string labels;
  std::string output;                  // the PNG; its folder must exist
  std::string title = "Training curves";
  std::string gnuplot = "gnuplot";     // program name or path (see find_gnuplot)

  void bind(OptionSet& options);
  // Throws ConfigError naming the key: no run, an empty run or label, a label count that is not the run count,
  // no output or an output not ending in .png.
  void validate() const;
  // runs and labels split at their commas.
  std::vector<std::string> run_list() const;
  std::vector<std::string> label_list() const;
};

}  // namespace fv::plot
