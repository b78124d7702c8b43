// fv-plot: training curves (loss, training accuracy, lr, lambda against step) of fv-train runs, as one PNG.
//
//   fv-plot --plot.runs runs/softmax,runs/lsoftmax-m4 --plot.labels softmax,L-Softmax --plot.output curves.png
#include <iostream>

#include "core/cli.h"
#include "core/logging.h"
#include "core/options.h"
#include "plot/plot_config.h"
#include "plot/plot_run.h"

int main(int argc, char** argv) {
  return fv::run_main("fv-plot", [&] {
    fv::OptionSet o("fv-plot",
                    "Draws the training curves (loss, accuracy, lr, lambda against step) of one or several fv-train "
                    "runs from their train.jsonl into one PNG (needs gnuplot)");
    fv::plot::PlotConfig cfg;
    cfg.bind(o);
    if (!o.parse(argc, argv)) return 0;
    cfg.validate();
    fv::log::info("fv-plot: resolved configuration (hash {}):\n{}", o.hash(), o.resolved_ini());
    std::cout << "curves: " << fv::plot::run_plot(cfg).string() << "\n";
    return 0;
  });
}
