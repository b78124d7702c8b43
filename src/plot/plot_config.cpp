// fv-plot's configuration keys, defaults and validation.
#include "plot/plot_config.h"

#include <fmt/format.h>

#include <filesystem>

#include "core/error.h"

namespace fv::plot {
namespace {

// `value` split at commas; empty for an empty value; an empty item ("a,,b") is an error naming `key`.
std::vector<std::string> split_items(const std::string& value, const char* key) {
  std::vector<std::string> items;
  if (value.empty()) return items;
  std::size_t start = 0;
  while (true) {
    const std::size_t comma = value.find(',', start);
    const std::string item = value.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
    if (item.empty()) {
      throw ConfigError(fmt::format("config key '{}': empty item in '{}' (items are separated by single commas)",
                                    key, value));
    }
    items.push_back(item);
    if (comma == std::string::npos) return items;
    start = comma + 1;
  }
}

}  // namespace

void PlotConfig::bind(OptionSet& o) {
  o.add("plot.runs", &runs, "fv-train run folders (holding train.jsonl) or train.jsonl files, comma-separated")
      .add("plot.labels", &labels, "one label per run, comma-separated (default: the run folders' names)")
      .add("plot.output", &output, "the PNG to write (its folder must exist)")
      .add("plot.title", &title, "title above the four panels")
      .add("plot.gnuplot", &gnuplot, "gnuplot program (name in PATH or path)");
}

std::vector<std::string> PlotConfig::run_list() const { return split_items(runs, "plot.runs"); }
std::vector<std::string> PlotConfig::label_list() const { return split_items(labels, "plot.labels"); }

void PlotConfig::validate() const {
  const auto run_items = run_list();
  if (run_items.empty()) {
    throw ConfigError("config key 'plot.runs' is required: fv-train run folders or train.jsonl files, comma-separated");
  }
  const auto label_items = label_list();
  if (!label_items.empty() && label_items.size() != run_items.size()) {
    throw ConfigError(fmt::format("config key 'plot.labels' gives {} labels for {} runs; give one per run of "
                                  "plot.runs, in its order, or none (the run folders' names)",
                                  label_items.size(), run_items.size()));
  }
  if (output.empty()) throw ConfigError("config key 'plot.output' is required (the PNG to write)");
  if (std::filesystem::path(output).extension() != ".png") {
    throw ConfigError(fmt::format("config key 'plot.output': '{}' must end in .png (the chart is a PNG)", output));
  }
  if (gnuplot.empty()) throw ConfigError("config key 'plot.gnuplot' is empty (the gnuplot program)");
}

}  // namespace fv::plot
