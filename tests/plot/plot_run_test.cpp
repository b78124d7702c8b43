// fv-plot's configuration and run resolution: lists, label counts, run folders or files, default labels, errors.
#include "plot/plot_run.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::plot {
namespace {

PlotConfig parse(std::vector<const char*> args) {
  args.insert(args.begin(), "fv-plot");
  OptionSet o("fv-plot", "test");
  PlotConfig cfg;
  cfg.bind(o);
  EXPECT_TRUE(o.parse(static_cast<int>(args.size()), args.data()));
  return cfg;
}

std::string config_error(std::vector<const char*> args) {
  try {
    parse(std::move(args)).validate();
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}

TEST(PlotConfig, RunsAndLabelsAreCommaSeparated) {
  const PlotConfig a = parse({"--plot.runs", "r/a,r/b", "--plot.labels", "x,y z", "--plot.output", "c.png"});
  a.validate();
  EXPECT_EQ(a.run_list(), (std::vector<std::string>{"r/a", "r/b"}));
  EXPECT_EQ(a.label_list(), (std::vector<std::string>{"x", "y z"}));
  const PlotConfig b = parse({"--plot.runs", "r/a", "--plot.output", "c.png"});
  EXPECT_EQ(b.run_list(), (std::vector<std::string>{"r/a"}));
  EXPECT_TRUE(b.label_list().empty());
  EXPECT_EQ(b.title, "Training curves");
}

TEST(PlotConfig, InvalidValuesNameTheirKey) {
  EXPECT_EQ(config_error({"--plot.output", "c.png"}).find("config key 'plot.runs' is required"), 0u);
  EXPECT_EQ(config_error({"--plot.runs", "a,b", "--plot.labels", "x", "--plot.output", "c.png"}),
            "config key 'plot.labels' gives 1 labels for 2 runs; give one per run of plot.runs, in its order, or none "
            "(the run folders' names)");
  EXPECT_EQ(config_error({"--plot.runs", "a,,b", "--plot.output", "c.png"}),
            "config key 'plot.runs': empty item in 'a,,b' (items are separated by single commas)");
  EXPECT_EQ(config_error({"--plot.runs", "a"}), "config key 'plot.output' is required (the PNG to write)");
  EXPECT_EQ(config_error({"--plot.runs", "a", "--plot.output", "c.jpg"}),
            "config key 'plot.output': 'c.jpg' must end in .png (the chart is a PNG)");
}

TEST(PlotRun, RunsAreFoldersOrTrainJsonlFiles) {
  testing::TempDir dir;
  testing::write_text(dir / "runs/alpha/train.jsonl", "{\"step\":1}\n");
  testing::write_text(dir / "runs/beta/log.jsonl", "{\"step\":1}\n");
  std::filesystem::create_directories(dir / "runs/empty");
  EXPECT_EQ(train_jsonl_of(dir / "runs/alpha"), dir / "runs/alpha/train.jsonl");
  EXPECT_EQ(train_jsonl_of(dir / "runs/beta/log.jsonl"), dir / "runs/beta/log.jsonl");
  EXPECT_EQ(default_label(dir / "runs/alpha"), "alpha");
  EXPECT_EQ(default_label((dir / "runs/alpha").string() + "/"), "alpha");
  EXPECT_EQ(default_label(dir / "runs/beta/log.jsonl"), "beta");
  try {
    train_jsonl_of(dir / "runs/empty");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "run folder '" + (dir / "runs/empty").string() +
                                         "' has no train.jsonl (give an fv-train run folder or its train.jsonl)");
  }
  EXPECT_THROW(train_jsonl_of(dir / "runs/none"), IoError);
}

TEST(PlotRun, OutputFolderMustExist) {
  testing::TempDir dir;
  testing::write_text(dir / "run/train.jsonl", "{\"step\":1}\n");
  PlotConfig cfg;
  cfg.runs = (dir / "run").string();
  cfg.output = (dir / "missing/c.png").string();
  cfg.validate();
  try {
    run_plot(cfg);
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_EQ(std::string(e.what()), "cannot write '" + cfg.output + "': its folder '" + (dir / "missing").string() +
                                         "' does not exist");
  }
  EXPECT_FALSE(std::filesystem::exists(dir / "missing"));
}

}  // namespace
}  // namespace fv::plot
