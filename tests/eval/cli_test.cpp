// Tests of the fv-eval executable: exit codes for config, I/O and data errors, and a successful run.
#include <gtest/gtest.h>

#include <sys/wait.h>

#include <cstdio>
#include <limits>
#include <fmt/format.h>

#include "core/atomic_file.h"
#include "formats/embedding_store.h"
#include "support/command.h"
#include "support/temp_dir.h"

namespace fv::eval {
namespace {

using CliRun = testing::CommandResult;

CliRun run(const std::string& args) { return testing::run_command(fmt::format("{} {}", FV_EVAL_BIN, args)); }

TEST(FvEvalCli, ExitCodesAndHeadline) {
  testing::TempDir dir;
  EmbeddingSet set;
  set.attributes.embedding_dim = 2;
  set.attributes.model_hash = "m1";
  set.ids = {"a/1.jpg", "a/2.jpg", "b/1.jpg", "b/2.jpg"};
  set.embeddings = {1, 0, 1, 0.1f, 0, 1, 0.1f, 1};
  write_embeddings(dir / "e.h5", set);
  std::string pairs;
  for (int i = 0; i < 10; ++i) pairs += "a/1.jpg a/2.jpg 1\nb/1.jpg b/2.jpg 1\na/1.jpg b/1.jpg 0\na/2.jpg b/2.jpg 0\n";
  write_file_atomic(dir / "pairs.txt", pairs);
  write_file_atomic(dir / "bad.txt", "a/1.jpg a/2.jpg maybe\n");
  const std::string common = fmt::format("--eval.protocol pairlist --eval.embeddings {} --eval.plot=false --eval.output {}",
                                         (dir / "e.h5").string(), (dir / "out").string());

  const CliRun bad_protocol = run("--eval.protocol lfx");
  EXPECT_EQ(bad_protocol.code, 2) << bad_protocol.output;
  EXPECT_NE(bad_protocol.output.find("valid values are: lfw, lfw-view1"), std::string::npos) << bad_protocol.output;

  const CliRun missing = run(fmt::format("{} --eval.pairs {}", common, (dir / "nope.txt").string()));
  EXPECT_EQ(missing.code, 3) << missing.output;

  const CliRun malformed = run(fmt::format("{} --eval.pairs {}", common, (dir / "bad.txt").string()));
  EXPECT_EQ(malformed.code, 4) << malformed.output;
  EXPECT_NE(malformed.output.find("bad.txt:1: the third field 'same' must be 0 or 1"), std::string::npos)
      << malformed.output;

  // A NaN embedding: a data error naming the pair's line, both ids and the embeddings file.
  EmbeddingSet nan_set = set;
  nan_set.embeddings[2] = std::numeric_limits<float>::quiet_NaN();  // a/2.jpg
  write_embeddings(dir / "nan.h5", nan_set);
  const CliRun nan = run(fmt::format("--eval.protocol pairlist --eval.embeddings {} --eval.plot=false --eval.output {} "
                                     "--eval.pairs {}",
                                     (dir / "nan.h5").string(), (dir / "out-nan").string(), (dir / "pairs.txt").string()));
  EXPECT_EQ(nan.code, 4) << nan.output;
  EXPECT_NE(nan.output.find(fmt::format("pairs.txt:1: the score of pair 'a/1.jpg' 'a/2.jpg' is nan, not a finite number: "
                                        "the embedding of 'a/2.jpg' in '{}' holds nan at component 0",
                                        (dir / "nan.h5").string())),
            std::string::npos)
      << nan.output;

  const CliRun ok = run(fmt::format("{} --eval.pairs {}", common, (dir / "pairs.txt").string()));
  ASSERT_EQ(ok.code, 0) << ok.output;
  EXPECT_NE(ok.output.find("e [pairlist] 40 pairs: accuracy 1.0000 +- 0.0000, AUC 1.0000, EER 0.0000"),
            std::string::npos)
      << ok.output;
  EXPECT_NE(ok.output.find("report: " + (dir / "out/report.json").string()), std::string::npos) << ok.output;

  const CliRun cmp = run(fmt::format("compare {} {}", (dir / "out/report.json").string(), (dir / "out/report.json").string()));
  ASSERT_EQ(cmp.code, 0) << cmp.output;
  EXPECT_NE(cmp.output.find("| e | pairlist | m1 | 40 | 1.0000 +- 0.0000 | 1.0000 | 0.0000 |"), std::string::npos)
      << cmp.output;
}

}  // namespace
}  // namespace fv::eval
