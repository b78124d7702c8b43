// One fv-eval run (read embeddings and protocol, score, write the report folder) and `fv-eval compare`.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

#include "eval/eval_config.h"
#include "eval/report.h"

namespace fv::eval {

// Requires cfg.validate() to pass. Writes into cfg.output: report.json, roc.csv, summary.md, eval.ini
// (`resolved_ini`, the fully resolved configuration) and, with cfg.plot, roc.png and roc.gp; every file
// atomically. Returns the report. Throws IoError / FormatError / DataError from the inputs.
EvalReport run_eval(const EvalConfig& cfg, const std::string& config_hash, const std::string& resolved_ini);

// Reads the reports, returns the comparison table; when `output` is not empty writes compare.md there and,
// if every report has its roc.csv beside it, roc_compare.png (all runs on one plot; needs gnuplot).
std::string run_compare(const std::vector<std::filesystem::path>& reports, const std::filesystem::path& output,
                        const std::string& gnuplot);

}  // namespace fv::eval
