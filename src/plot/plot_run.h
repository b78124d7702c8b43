// One fv-plot run: resolve the runs (folder or train.jsonl), read them, draw the chart.
#pragma once

#include <filesystem>
#include <string>

#include "plot/curves_chart.h"
#include "plot/plot_config.h"

namespace fv::plot {

// The train.jsonl of a run given as `run`: `run`/train.jsonl for a folder, `run` itself for a file. Throws
// IoError naming `run` when it does not exist or is a folder without train.jsonl.
std::filesystem::path train_jsonl_of(const std::filesystem::path& run);

// The default label of a run: the name of its folder (the folder given, or the folder holding the file given).
std::string default_label(const std::filesystem::path& run);

// Requires: cfg validated. Reads every run (warning for a run without interval lines) and draws cfg.output.
// Returns the PNG's path. Throws IoError when the output's folder does not exist, a run cannot be read or gnuplot
// fails; FormatError (file and line) for a malformed train.jsonl.
std::filesystem::path run_plot(const PlotConfig& cfg);

}  // namespace fv::plot
