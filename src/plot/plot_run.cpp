// fv-plot's work: runs to train.jsonl files and labels, then draw_curves.
#include "plot/plot_run.h"

#include <fmt/format.h>

#include "core/error.h"
#include "core/logging.h"

namespace fv::plot {

std::filesystem::path train_jsonl_of(const std::filesystem::path& run) {
  std::error_code ec;
  if (std::filesystem::is_directory(run, ec)) {
    const auto jsonl = run / "train.jsonl";
    if (!std::filesystem::exists(jsonl, ec)) {
      throw IoError(fmt::format("run folder '{}' has no train.jsonl (give an fv-train run folder or its train.jsonl)",
                                run.string()));
    }
    return jsonl;
  }
  if (!std::filesystem::exists(run, ec)) {
    throw IoError(fmt::format("run '{}' does not exist (give an fv-train run folder or its train.jsonl)", run.string()));
  }
  return run;
}

std::string default_label(const std::filesystem::path& run) {
  std::error_code ec;
  std::filesystem::path folder = std::filesystem::absolute(run, ec).lexically_normal();
  if (!folder.has_filename()) folder = folder.parent_path();  // "runs/a/" is "runs/a"
  if (!std::filesystem::is_directory(run, ec)) folder = folder.parent_path();
  return folder.filename().string();
}

std::filesystem::path run_plot(const PlotConfig& cfg) {
  const std::filesystem::path png = cfg.output;
  const std::filesystem::path folder = png.has_parent_path() ? png.parent_path() : ".";
  std::error_code ec;
  if (!std::filesystem::is_directory(folder, ec)) {
    throw IoError(fmt::format("cannot write '{}': its folder '{}' does not exist", png.string(), folder.string()));
  }
  const auto runs = cfg.run_list();
  const auto labels = cfg.label_list();
  std::vector<CurvesRun> curves;
  for (std::size_t i = 0; i < runs.size(); ++i) {
    const auto jsonl = train_jsonl_of(runs[i]);
    curves.push_back({labels.empty() ? default_label(runs[i]) : labels[i], read_train_jsonl(jsonl)});
    if (curves.back().curves.records.empty()) {
      log::warn("fv-plot: '{}' has no interval lines yet: run '{}' is missing from every panel", jsonl.string(),
                curves.back().label);
    }
  }
  draw_curves(curves, png, cfg.title, cfg.gnuplot);
  return png;
}

}  // namespace fv::plot
