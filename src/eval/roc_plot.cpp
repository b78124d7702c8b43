// ROC plots: the ROC-specific gnuplot commands; drawing is the plot library's.
#include "eval/roc_plot.h"

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "plot/gnuplot.h"

namespace fv::eval {

std::string roc_script(const std::vector<RocCurve>& curves, const std::string& title) {
  using plot::gnuplot_quoted;
  std::string s = fmt::format("set title {}\n", gnuplot_quoted(title));
  s += "set datafile separator ','\n";
  s += "set logscale x\nset xrange [1e-6:1]\nset yrange [0:1.0]\nset format x '1e%L'\n";
  s += "set xlabel 'False accept rate (FAR)'\nset ylabel 'True accept rate (TAR)'\n";
  s += "set grid\nset key bottom right\n";
  s += "plot ";
  for (std::size_t i = 0; i < curves.size(); ++i) {
    if (i > 0) s += ", \\\n     ";
    s += fmt::format("{} every ::1 using 2:3 with lines linewidth 2 title {}", gnuplot_quoted(curves[i].csv.string()),
                     gnuplot_quoted(curves[i].label));
  }
  s += "\n";
  return s;
}

void plot_rocs(const std::vector<RocCurve>& curves, const std::filesystem::path& png, const std::string& title,
               const std::string& gnuplot) {
  const plot::PngSize size{800, 600};
  const std::string body = roc_script(curves, title);
  const auto kept = png.parent_path() / (png.stem().string() + ".gp");
  write_file_atomic(kept, fmt::format("# ROC plot written by fv-eval; run: gnuplot {}\n", kept.filename().string()) +
                              plot::png_preamble(png, size) + body);
  try {
    plot::render_png(body, png, size, gnuplot);
  } catch (const IoError& e) {
    throw IoError(fmt::format("{} (eval.plot = false skips the ROC plot)", e.what()));
  }
}

}  // namespace fv::eval
