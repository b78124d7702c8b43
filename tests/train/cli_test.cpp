// fv-train as users run it, on fv-synth faces: the loss falls well below its start; a run killed with
// SIGTERM (clean stop + checkpoint, exit 130) or SIGKILL (no warning) resumes with --resume and finishes
// with a log that has every step once; insightface-style RecordIO made by MXNet's packer trains; bad keys exit 2
// naming the key.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <set>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "support/command.h"
#include "support/jsonl.h"
#include "support/margin.h"
#include "support/synth.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

using CliRun = testing::CommandResult;

CliRun run(const std::string& command) { return testing::run_command(command); }

// 20 synthetic identities x 8 images, 64x64 (small and fast).
std::filesystem::path make_synth(const testing::TempDir& dir) {
  return testing::make_synth_images(FV_SYNTH_BIN, dir / "synth", 20, 8);
}

std::string train_args(const std::filesystem::path& images, const std::filesystem::path& output, int steps,
                       int log_every = 5, const std::string& schedule = "--train.lr_schedule constant") {
  // The CIFAR network of the seed papers on 32x32 RGB faces (the 64x64 images resized); 20 identities.
  return fmt::format(
      "{} --output {} --data.input {} --model.backbone cifar --model.embedding_dim 64 --train.loss softmax "
      "--train.lr 0.02 {} --train.batch_size 16 --train.steps {} --train.log_every {} "
      "--checkpoint.every_steps 5 --checkpoint.every_minutes 0 --threads 2 --train.weight_decay 0 --data.flip false",
      FV_TRAIN_BIN, output.string(), images.string(), schedule, steps, log_every);
}

using testing::read_jsonl;

// Starts fv-train in the background; kills it with `sig` once its checkpoint exists.
int run_and_kill(const std::string& command, const std::filesystem::path& checkpoint, int sig) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + command + " >/dev/null 2>&1").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!std::filesystem::exists(checkpoint) && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : -1;
}

void expect_every_step_once(const std::filesystem::path& log, int steps, int every) {
  std::multiset<std::int64_t> seen;
  for (const auto& r : read_jsonl(log))
    if (!r.contains("event")) seen.insert(r.at("step").get<std::int64_t>());
  std::multiset<std::int64_t> expected;
  for (int s = every; s <= steps; s += every) expected.insert(s);
  EXPECT_EQ(seen, expected);
}

TEST(TrainCli, LossFallsWellBelowItsStartOnSynthFaces) {
  testing::TempDir dir;
  const auto images = make_synth(dir);
  // 200 steps, lr 0.02 divided by 10 at steps 120 and 160. At a constant lr the loss of this small set bounces
  // between 0.2 and 1.1 late in the run, and 150 such steps ended at 0.42-0.51 of the start against a bar of 0.6
  // depending on the OpenBLAS kernel; the decay settles it. Measured with scripts/check-numerics.sh on the 2-core
  // AMD EPYC VM: 0.09 (Haswell, Zen), 0.13 (Cooperlake), 0.20 (SkylakeX): a margin of 3 or more.
  const CliRun r = run(train_args(images, dir / "run", 200, 10,
                                  "--train.lr_schedule multistep --train.lr_milestones 120,160"));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto log = read_jsonl(dir / "run/train.jsonl");
  ASSERT_GE(log.size(), 20u);
  const double first = log.front().at("loss");
  // Mean of the last three intervals (steps 171-200): mini-batch losses are noisy.
  const double last = (log[17].at("loss").get<double>() + log[18].at("loss").get<double>() +
                       log[19].at("loss").get<double>()) / 3;
  EXPECT_GT(first, 0.8 * std::log(20.0)) << "starts near log(20)";
  EXPECT_TRUE(testing::below("loss_last_over_first", last / first, 0.6)) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "run/model.fvm"));
  EXPECT_TRUE(std::filesystem::exists(dir / "run/config.ini"));
}

TEST(TrainCli, SigtermStopsCleanlyAndResumeFinishes) {
  testing::TempDir dir;
  const auto images = make_synth(dir);
  const auto out = dir / "run";
  const int code = run_and_kill(train_args(images, out, 400), out / "checkpoint.fvc", SIGTERM);
  EXPECT_EQ(code, 130) << "SIGTERM: checkpoint and exit 130";
  ASSERT_TRUE(std::filesystem::exists(out / "checkpoint.fvc"));
  EXPECT_FALSE(std::filesystem::exists(out / "model.fvm"));
  // Without --resume the run is not overwritten.
  const CliRun refused = run(train_args(images, out, 40));
  EXPECT_EQ(refused.code, 2) << refused.output;
  EXPECT_NE(refused.output.find("--resume"), std::string::npos) << refused.output;
  const CliRun resumed = run(train_args(images, out, 40) + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_NE(resumed.output.find("resumed"), std::string::npos) << resumed.output;
  expect_every_step_once(out / "train.jsonl", 40, 5);
  EXPECT_TRUE(std::filesystem::exists(out / "model.fvm"));
}

TEST(TrainCli, SigkillLosesAtMostTheStepsSinceTheLastCheckpoint) {
  testing::TempDir dir;
  const auto images = make_synth(dir);
  const auto out = dir / "run";
  const int code = run_and_kill(train_args(images, out, 400), out / "checkpoint.fvc", SIGKILL);
  EXPECT_EQ(code, 128 + SIGKILL);
  const CliRun resumed = run(train_args(images, out, 30) + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  expect_every_step_once(out / "train.jsonl", 30, 5);
}

TEST(TrainCli, TrainsOnARecordIOFileMadeByMXNetsPacker) {
  if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3";
  testing::TempDir dir;
  const auto images = make_synth(dir);
  // insightface's layout written by tests/dataset/mxnet_recordio.py (MXNet's and insightface's packers
  // re-implemented): a header record, 160 images with float-array labels, 20 identity records after them.
  const CliRun packed = run(fmt::format("/usr/bin/python3 {}/tests/dataset/mxnet_recordio.py pack-insightface --root {} "
                                        "--out {} --label-vector",
                                        testing::source_dir().string(), images.string(), (dir / "train").string()));
  ASSERT_EQ(packed.code, 0) << packed.output;
  const CliRun r = run(train_args(dir / "train.rec", dir / "run", 2, 1));
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("fv-train: 160 samples, 20 classes"), std::string::npos) << r.output;
  EXPECT_TRUE(std::filesystem::exists(dir / "run/model.fvm"));
}

TEST(TrainCli, AFullDiskIsAnIoErrorThatLeavesNoTemporaryAndTheRunResumes) {
  testing::TempDir dir;
  const auto images = make_synth(dir);
  const auto out = dir / "run";
  // A file-size limit of 256 KiB (ulimit -f counts 512-byte blocks) makes the first checkpoint's write fail as a
  // full disk does (EFBIG instead of ENOSPC; SIGXFSZ is ignored so that write() returns the error instead).
  const CliRun full = run("trap '' XFSZ; ulimit -f 512; exec " + train_args(images, out, 10));
  EXPECT_EQ(full.code, 3) << full.output;
  EXPECT_NE(full.output.find((out / "checkpoint.fvc").string()), std::string::npos) << full.output;
  EXPECT_EQ(full.output.find("terminate called"), std::string::npos) << full.output;
  EXPECT_FALSE(std::filesystem::exists(out / "checkpoint.fvc"));
  for (const auto& entry : std::filesystem::directory_iterator(out))
    EXPECT_EQ(entry.path().filename().string().find(".tmp."), std::string::npos) << "left behind: " << entry.path();
  // With space again, the same command with --resume (no checkpoint yet: a new run) finishes.
  const CliRun resumed = run(train_args(images, out, 10) + " --resume");
  ASSERT_EQ(resumed.code, 0) << resumed.output;
  EXPECT_TRUE(std::filesystem::exists(out / "model.fvm"));
}

TEST(TrainCli, BadKeysExitWithConfigErrorNamingTheKey) {
  const CliRun r = run(fmt::format("{} --output /tmp/x --data.input /nonexistent --train.loss bogus", FV_TRAIN_BIN));
  EXPECT_EQ(r.code, 2) << r.output;
  EXPECT_NE(r.output.find("train.loss"), std::string::npos) << r.output;
  const CliRun help = run(fmt::format("{} --help", FV_TRAIN_BIN));
  EXPECT_EQ(help.code, 0);
  EXPECT_NE(help.output.find("train.lambda_base"), std::string::npos);
}

}  // namespace
}  // namespace fv
