// Tests of the fv-import executable: subcommand dispatch, help, exit codes, and a real import when available.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fmt/format.h>

#include "core/atomic_file.h"
#include "support/command.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

using CliRun = testing::CommandResult;

CliRun run(const std::string& args) { return testing::run_command(fmt::format("{} {}", FV_IMPORT_BIN, args)); }

void expect_run(const std::string& args, int code, const std::string& needle) {
  const CliRun r = run(args);
  EXPECT_EQ(r.code, code) << args << "\n" << r.output;
  EXPECT_NE(r.output.find(needle), std::string::npos) << args << ": expected '" << needle << "' in\n" << r.output;
}

TEST(FvImportCli, DispatchHelpAndExitCodes) {
  testing::TempDir dir;
  expect_run("", 2, "usage: fv-import SUBCOMMAND");
  expect_run("--help", 0, "dlib ");
  expect_run("dlbi", 2, "unknown subcommand 'dlbi'; valid subcommands are: dlib");
  expect_run("dlib --help", 0, "--manifest");
  expect_run("dlib --output x.fvm", 2, "manifest: required");
  expect_run("dlib --manifest m.json --bogus 1", 2, "bogus");
  expect_run(fmt::format("dlib --manifest {} --output {}", (dir / "absent.json").string(), (dir / "o.fvm").string()), 3,
             "absent.json");
  write_file_atomic(dir / "m.json", R"([{"paths": ["w.bin"], "weights": [{"name": "fc", "shape": [2, 2], "dtype": "float32"}]}])");
  write_file_atomic(dir / "w.bin", std::string(16, '\0'));
  // A well-formed manifest of the wrong network: refused by name, exit code 4 (data), nothing written.
  expect_run(fmt::format("dlib --manifest {} --output {}", (dir / "m.json").string(), (dir / "o.fvm").string()), 4,
             "misshaped tensors: fc (tfjs [2, 2]");
  EXPECT_FALSE(std::filesystem::exists(dir / "o.fvm"));
}

TEST(FvImportCli, ImportsFaceApiWeights) {
  const auto src = testing::source_dir() / "third_party" / "face-api";
  if (!std::filesystem::exists(src / "face_recognition_model.bin"))
    GTEST_SKIP() << src.string() << " is absent: run scripts/fetch-face-api.sh (install-deps.sh does)";
  testing::TempDir dir;
  expect_run(fmt::format("dlib --manifest {} --weights {} --output {}",
                         (src / "face_recognition_model-weights_manifest.json").string(),
                         (src / "face_recognition_model.bin").string(), (dir / "dlib.fvm").string()),
             0, "117 tensors (109 quantised), 5614592 parameters");
  EXPECT_GT(std::filesystem::file_size(dir / "dlib.fvm"), 20'000'000u);
}

}  // namespace
}  // namespace fv
