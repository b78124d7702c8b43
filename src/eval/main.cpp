// fv-eval: scores an embeddings file on a benchmark protocol and writes the report folder; `compare` tables.
//
//   fv-eval --eval.protocol lfw --eval.embeddings lfw.h5 --eval.pairs pairs.txt --eval.output out/
//   fv-eval compare out1/report.json out2/report.json [--compare.output dir]
#include <cstring>
#include <iostream>

#include "core/cli.h"
#include "core/logging.h"
#include "core/options.h"
#include "eval/eval_config.h"
#include "eval/run_eval.h"

namespace {

int compare_main(int argc, char** argv) {
  fv::OptionSet o("fv-eval compare", "Prints one table for several fv-eval report.json files");
  std::vector<std::string> reports;
  std::string output;
  std::string gnuplot = "gnuplot";
  o.add("compare.reports", &reports, "report.json files to compare");
  o.add("compare.output", &output, "folder for compare.md and roc_compare.png (optional)");
  o.add("compare.gnuplot", &gnuplot, "gnuplot executable");
  o.positional("compare.reports", -1);
  if (!o.parse(argc, argv)) return 0;
  std::vector<std::filesystem::path> paths(reports.begin(), reports.end());
  std::cout << fv::eval::run_compare(paths, output, gnuplot);
  if (!output.empty()) fv::log::info("fv-eval compare: wrote {}/compare.md", output);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return fv::run_main("fv-eval", [&] {
    if (argc > 1 && std::strcmp(argv[1], "compare") == 0) return compare_main(argc - 1, argv + 1);
    fv::OptionSet o("fv-eval",
                    "Scores an embeddings file on a verification protocol (LFW, .bin sets, pair lists, IJB-B/C)");
    fv::eval::EvalConfig cfg;
    cfg.bind(o);
    if (!o.parse(argc, argv)) return 0;
    cfg.validate();
    fv::log::info("fv-eval: resolved configuration (hash {}):\n{}", o.hash(), o.resolved_ini());
    const fv::eval::EvalReport report = fv::eval::run_eval(cfg, o.hash(), o.resolved_ini());
    std::cout << fv::eval::headline(report) << "\n";
    std::cout << "report: " << (std::filesystem::path(cfg.output) / "report.json").string() << "\n";
    return 0;
  });
}
