// gnuplot ROC plots: script generation and an atomic PNG write.
#include "eval/roc_plot.h"

#include <fmt/format.h>

#include <cstdlib>

#include "core/atomic_file.h"
#include "core/error.h"

namespace fv::eval {
namespace {

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

std::string shell_quoted(const std::string& s) {
  std::string out = "'";
  for (char c : s) {
    if (c == '\'') {
      out += "'\\''";
    } else {
      out += c;
    }
  }
  return out + "'";
}

}  // namespace

std::string gnuplot_script(const std::vector<RocCurve>& curves, const std::filesystem::path& png,
                           const std::string& title) {
  std::string s = "# ROC plot written by fv-eval; run: gnuplot roc.gp\n";
  s += "set terminal pngcairo size 800,600 noenhanced\n";
  s += fmt::format("set output {}\n", quoted(png.string()));
  s += fmt::format("set title {}\n", quoted(title));
  s += "set datafile separator ','\n";
  s += "set logscale x\nset xrange [1e-6:1]\nset yrange [0:1.0]\nset format x '1e%L'\n";
  s += "set xlabel 'False accept rate (FAR)'\nset ylabel 'True accept rate (TAR)'\n";
  s += "set grid\nset key bottom right\n";
  s += "plot ";
  for (std::size_t i = 0; i < curves.size(); ++i) {
    if (i > 0) s += ", \\\n     ";
    s += fmt::format("{} every ::1 using 2:3 with lines linewidth 2 title {}", quoted(curves[i].csv.string()),
                     quoted(curves[i].label));
  }
  s += "\n";
  return s;
}

void plot_rocs(const std::vector<RocCurve>& curves, const std::filesystem::path& png, const std::string& title,
               const std::string& gnuplot) {
  AtomicOutput out(png);
  // roc.gp names the final PNG, for people who restyle and rerun it; this run draws into the temporary file.
  write_file_atomic(png.parent_path() / (png.stem().string() + ".gp"), gnuplot_script(curves, png, title));
  const std::filesystem::path temp_script = out.temp_path().string() + ".gp";
  write_file_atomic(temp_script, gnuplot_script(curves, out.temp_path(), title));
  const int rc = std::system(
      fmt::format("{} {} > /dev/null 2>&1", shell_quoted(gnuplot), shell_quoted(temp_script.string())).c_str());
  std::error_code ec;
  std::filesystem::remove(temp_script, ec);
  if (rc != 0 || !std::filesystem::exists(out.temp_path()) || std::filesystem::file_size(out.temp_path()) == 0) {
    throw IoError(fmt::format("gnuplot ('{}') failed to draw '{}' (exit status {}); install gnuplot or set "
                              "eval.plot = false",
                              gnuplot, png.string(), rc));
  }
  out.commit();
}

}  // namespace fv::eval
