// fv-train's validation as insightface users run it (val.bin, train.keep_best), on fv-synth faces packed into
// .bin sets by scripts/pairs-to-bin.py: validation lines per set with the highest accuracy so far, model.best.fvm
// with its step and accuracy, the same accuracy as fv-embed + `fv-eval --eval.protocol bin` on the final model, a
// run killed with SIGKILL that keeps its best, and a malformed .bin refused at the start naming the file.
#include <gtest/gtest.h>

#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <map>
#include <thread>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "model/model_file.h"
#include "support/command.h"
#include "support/jsonl.h"
#include "support/synth.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

using testing::read_jsonl;
using testing::run_command;

// LFW-style pairs.txt over fv-synth's 20 identities x 8 images: 10 folds of 6 same and 6 different pairs;
// `shift` makes a second set with other pairs.
std::string synth_pairs(int shift) {
  std::string text = "10\t6\n";
  for (int fold = 0; fold < 10; ++fold) {
    for (int k = 0; k < 6; ++k) {
      const int id = (fold * 6 + k + shift) % 20 + 1;
      text += fmt::format("Synth_{:05d}\t{}\t{}\n", id, 1 + (k + shift) % 4, 5 + (fold + shift) % 4);
    }
    for (int k = 0; k < 6; ++k) {
      const int a = (fold * 6 + k) % 20 + 1, b = (fold * 6 + k + 7 + shift) % 20 + 1;
      text += fmt::format("Synth_{:05d}\t{}\tSynth_{:05d}\t{}\n", a, 1 + k % 8, b, 1 + (k + 3 + shift) % 8);
    }
  }
  return text;
}

std::filesystem::path make_bin(const std::filesystem::path& images, const std::filesystem::path& out, int shift) {
  const auto pairs = out.parent_path() / (out.stem().string() + "-pairs.txt");
  testing::write_text(pairs, synth_pairs(shift));
  const auto r = run_command(fmt::format("/usr/bin/python3 {}/scripts/pairs-to-bin.py --root {} --pairs {} --output {}",
                                         testing::source_dir().string(), images.string(), pairs.string(), out.string()));
  EXPECT_EQ(r.code, 0) << r.output;
  return out;
}

std::string train_command(const std::filesystem::path& images, const std::filesystem::path& output, int steps,
                          const std::string& bins, const std::string& keep_best = "a") {
  return fmt::format(
      "{} --output {} --data.input {} --model.backbone cifar --model.embedding_dim 64 --train.loss softmax "
      "--train.lr 0.02 --train.lr_schedule constant --train.batch_size 16 --train.steps {} --train.log_every 5 "
      "--checkpoint.every_steps 5 --checkpoint.every_minutes 0 --threads 2 --train.weight_decay 0 --data.flip false "
      "--val.bin {} --val.every_steps 10 --train.keep_best {}",
      FV_TRAIN_BIN, output.string(), images.string(), steps, bins, keep_best);
}

// The validation lines of a train.jsonl by set, in order.
std::map<std::string, std::vector<nlohmann::json>> validations(const std::filesystem::path& log) {
  std::map<std::string, std::vector<nlohmann::json>> out;
  for (const auto& r : read_jsonl(log))
    if (r.value("event", "") == "validation") out[r.at("set").get<std::string>()].push_back(r);
  return out;
}

// The record of model.best.fvm: in its own metadata, and equal in the run's summary.json once the run finished.
nlohmann::json best_record(const std::filesystem::path& model_file) {
  const nlohmann::json meta = read_model_meta(model_file).provenance.at("best");
  const nlohmann::json summary = nlohmann::json::parse(read_file(model_file.parent_path() / "summary.json")).at("best");
  EXPECT_EQ(summary.at("accuracy"), meta.at("accuracy"));
  EXPECT_EQ(summary.at("step"), meta.at("step"));
  EXPECT_EQ(summary.at("set"), meta.at("set"));
  return meta;
}

class ValidationCli : public ::testing::Test {
 protected:
  void SetUp() override {
    if (!std::filesystem::exists("/usr/bin/python3")) GTEST_SKIP() << "no /usr/bin/python3 to pack the .bin sets";
    images_ = testing::make_synth_images(FV_SYNTH_BIN, dir_ / "synth", 20, 8);
    bins_ = make_bin(images_, dir_ / "a.bin", 0).string() + "," + make_bin(images_, dir_ / "b.bin", 1).string();
  }
  testing::TempDir dir_;
  std::filesystem::path images_;
  std::string bins_;
};

TEST_F(ValidationCli, BinSetsAreValidatedAndTheBestModelIsKept) {
  const auto out = dir_ / "run";
  const auto r = run_command(train_command(images_, out, 40, bins_));
  ASSERT_EQ(r.code, 0) << r.output;
  const auto sets = validations(out / "train.jsonl");
  ASSERT_EQ(sets.size(), 2u);
  for (const auto& [name, lines] : sets) {
    SCOPED_TRACE(name);
    ASSERT_EQ(lines.size(), 4u);  // steps 10, 20, 30 and the final one at 40
    double highest = 0;
    for (std::size_t i = 0; i < lines.size(); ++i) {
      const auto& v = lines[i];
      EXPECT_EQ(v.at("step").get<int>(), 10 * static_cast<int>(i + 1));
      EXPECT_EQ(v.at("pairs").get<int>(), 120);
      const double accuracy = v.at("accuracy");
      EXPECT_GE(accuracy, 0.0);
      EXPECT_LE(accuracy, 1.0);
      EXPECT_GE(v.at("std").get<double>(), 0.0);
      // A distance threshold on the grid [0, 4); 0 (every pair "different") only while the net separates nothing.
      const double threshold = v.at("threshold");
      EXPECT_GE(threshold, 0.0);
      EXPECT_LT(threshold, 4.0);
      if (accuracy > 0.5) EXPECT_GT(threshold, 0.0);
      EXPECT_EQ(v.at("when"), i + 1 < lines.size() ? "periodic" : "final");
      highest = std::max(highest, accuracy);
      EXPECT_DOUBLE_EQ(v.at("best").get<double>(), highest);
    }
    EXPECT_GT(highest, 0.6) << "a softmax net trained on these identities separates them";
  }
  // model.best.fvm: the first step with the highest accuracy on set a, recorded in summary.json.
  const auto& a = sets.at("a");
  double highest = -1;
  int step = -1;
  for (const auto& v : a)
    if (v.at("accuracy").get<double>() > highest) highest = v.at("accuracy"), step = v.at("step");
  ASSERT_TRUE(std::filesystem::exists(out / "model.best.fvm"));
  const auto best = best_record(out / "model.best.fvm");
  EXPECT_EQ(best.at("set"), "a");
  EXPECT_DOUBLE_EQ(best.at("accuracy").get<double>(), highest);
  EXPECT_EQ(best.at("step").get<int>(), step);
  EXPECT_NE(r.output.find("validation (final) at step 40: a "), std::string::npos) << r.output;

  // The same accuracy from fv-embed (flip-sum, as the validation) and fv-eval's bin protocol on model.fvm.
  const auto embedded = run_command(fmt::format(
      "{} --embed.model {} --embed.input {} --embed.flip sum --embed.normalize false --embed.batch_size 64 "
      "--embed.output {} --threads 2",
      FV_EMBED_BIN, (out / "model.fvm").string(), (dir_ / "a.bin").string(), (dir_ / "a.h5").string()));
  ASSERT_EQ(embedded.code, 0) << embedded.output;
  const auto evaluated = run_command(fmt::format("{} --eval.protocol bin --eval.embeddings {} --eval.output {}",
                                                 FV_EVAL_BIN, (dir_ / "a.h5").string(), (dir_ / "eval").string()));
  ASSERT_EQ(evaluated.code, 0) << evaluated.output;
  const auto report = nlohmann::json::parse(read_file(dir_ / "eval/report.json"));
  EXPECT_NEAR(report.at("accuracy").at("mean").get<double>(), a.back().at("accuracy").get<double>(), 1e-12);
  EXPECT_NEAR(report.at("accuracy").at("std").get<double>(), a.back().at("std").get<double>(), 1e-12);
}

// Starts fv-train in the background and kills it (SIGKILL) once `trigger` exists.
void run_and_kill(const std::string& command, const std::filesystem::path& trigger) {
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::execl("/bin/sh", "sh", "-c", ("exec " + command + " >/dev/null 2>&1").c_str(), static_cast<char*>(nullptr));
    ::_exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::minutes(5);
  while (!std::filesystem::exists(trigger) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ::kill(pid, SIGKILL);
  int status = 0;
  ::waitpid(pid, &status, 0);
}

TEST_F(ValidationCli, AKilledRunKeepsItsBestModelWhenResumed) {
  const auto out = dir_ / "run";
  run_and_kill(train_command(images_, out, 400, bins_), out / "model.best.fvm");
  ASSERT_TRUE(std::filesystem::exists(out / "model.best.fvm"));
  ASSERT_TRUE(std::filesystem::exists(out / "checkpoint.fvc"));
  const std::string before = read_file(out / "model.best.fvm");
  double best_before = 0;
  const auto killed = validations(out / "train.jsonl");
  for (const auto& v : killed.at("a")) best_before = std::max(best_before, v.at("accuracy").get<double>());
  const auto r = run_command(train_command(images_, out, 30, bins_) + " --resume");
  ASSERT_EQ(r.code, 0) << r.output;
  const auto best = best_record(out / "model.best.fvm");
  EXPECT_GE(best.at("accuracy").get<double>(), best_before);
  // Replaced only by a strictly better model.
  if (best.at("accuracy").get<double>() == best_before) {
    EXPECT_EQ(read_file(out / "model.best.fvm"), before);
  }
  // The log reads as one run's: the killed session's validation at its checkpoint's step is kept, none repeated.
  std::vector<int> steps;
  const auto resumed = validations(out / "train.jsonl");
  for (const auto& v : resumed.at("a")) {
    steps.push_back(v.at("step").get<int>());
    EXPECT_GE(v.at("best").get<double>(), best_before);
  }
  EXPECT_EQ(steps, (std::vector<int>{10, 20, 30}));
}

TEST_F(ValidationCli, AMalformedBinStopsTheRunBeforeTrainingNamingTheFile) {
  const std::string whole = read_file(dir_ / "a.bin");
  write_file_atomic(dir_ / "cut.bin", whole.substr(0, whole.size() / 2));
  const auto r = run_command(train_command(images_, dir_ / "run", 40, (dir_ / "cut.bin").string(), "cut"));
  EXPECT_NE(r.code, 0);
  EXPECT_NE(r.output.find((dir_ / "cut.bin").string()), std::string::npos) << r.output;
  EXPECT_FALSE(std::filesystem::exists(dir_ / "run/checkpoint.fvc"));
  const auto unknown = run_command(train_command(images_, dir_ / "run2", 40, bins_, "lfw"));
  EXPECT_EQ(unknown.code, 2) << unknown.output;
  EXPECT_NE(unknown.output.find("train.keep_best"), std::string::npos) << unknown.output;
}

}  // namespace
}  // namespace fv
