// fv-train's train.jsonl read back: values, missing fields, events, a torn last line, malformed lines.
#include "plot/train_curves.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv::plot {
namespace {

// Two interval lines as fv-train writes them (src/train/trainer.cpp), with a validation event between them.
const char* const kLog =
    "{\"step\":20,\"epoch\":0.5,\"loss\":2.25,\"accuracy\":0.125,\"lr\":0.1,\"lambda\":1000.0,\"alpha\":0.0,"
    "\"images_per_second\":250.5,\"elapsed\":1.5}\n"
    "{\"event\":\"validation\",\"step\":20,\"accuracy\":0.75,\"std\":0.01}\n"
    "{\"step\":40,\"loss\":1.5,\"accuracy\":0.5,\"lr\":0.01}\n";

std::string error_of(const std::string& text) {
  try {
    parse_train_jsonl(text, "run/train.jsonl");
  } catch (const FormatError& e) {
    return e.what();
  }
  return "no error";
}

TEST(TrainCurves, ReadsTheIntervalLinesAndSkipsEvents) {
  const TrainCurves c = parse_train_jsonl(kLog, "train.jsonl");
  ASSERT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.torn_line, 0);
  const TrainRecord& a = c.records[0];
  EXPECT_EQ(a.step, 20);
  EXPECT_EQ(a.epoch, 0.5);
  EXPECT_EQ(a.loss, 2.25);
  EXPECT_EQ(a.accuracy, 0.125);
  EXPECT_EQ(a.lr, 0.1);
  EXPECT_EQ(a.lambda, 1000.0);
  EXPECT_EQ(a.alpha, 0.0);
  EXPECT_EQ(a.images_per_second, 250.5);
  EXPECT_EQ(a.elapsed, 1.5);
  // The event's accuracy (validation) is not the training accuracy of step 20.
  EXPECT_EQ(c.records[1].step, 40);
  EXPECT_EQ(c.records[1].accuracy, 0.5);
}

TEST(TrainCurves, ValidationLinesGiveTheValidationCurvesOfEachSet) {
  const TrainCurves c = parse_train_jsonl(
      std::string(kLog) +
          "{\"event\":\"validation\",\"step\":40,\"set\":\"lfw\",\"accuracy\":0.875,\"best\":0.875}\n"
          "{\"event\":\"test\",\"step\":40,\"error\":0.5}\n",
      "train.jsonl");
  ASSERT_EQ(c.validations.size(), 2u);
  EXPECT_EQ(c.validations[0].step, 20);
  EXPECT_EQ(c.validations[0].set, "pairs");  // fv-train's older val.pairs line has no "set"
  EXPECT_EQ(c.validations[0].accuracy, 0.75);
  EXPECT_EQ(c.validations[1].set, "lfw");
  EXPECT_EQ(c.validations[1].accuracy, 0.875);
  EXPECT_EQ(error_of("{\"event\":\"validation\",\"step\":20,\"accuracy\":\"high\"}\n"),
            "run/train.jsonl:1: a validation line needs an integer \"step\" and a numeric \"accuracy\"");
}

TEST(TrainCurves, MissingAndNullFieldsAreEmpty) {
  const TrainCurves c = parse_train_jsonl(kLog, "train.jsonl");
  const TrainRecord& b = c.records[1];
  EXPECT_FALSE(b.lambda.has_value());
  EXPECT_FALSE(b.epoch.has_value());
  EXPECT_FALSE(b.elapsed.has_value());
  // nlohmann-json writes NaN as null.
  const TrainCurves n = parse_train_jsonl("{\"step\":1,\"loss\":null,\"lr\":0.5}\n", "train.jsonl");
  ASSERT_EQ(n.records.size(), 1u);
  EXPECT_FALSE(n.records[0].loss.has_value());
  EXPECT_EQ(n.records[0].lr, 0.5);
}

TEST(TrainCurves, EmptyFileAndBlankLinesGiveNoRecords) {
  EXPECT_TRUE(parse_train_jsonl("", "train.jsonl").records.empty());
  EXPECT_EQ(parse_train_jsonl("\n{\"step\":3}\n  \n", "train.jsonl").records.size(), 1u);
}

TEST(TrainCurves, TornLastLineOfAKilledRunIsDroppedWithItsNumber) {
  const std::string torn = std::string(kLog) + "{\"step\":60,\"loss\":1.2,\"accu";
  const TrainCurves c = parse_train_jsonl(torn, "train.jsonl");
  EXPECT_EQ(c.records.size(), 2u);
  EXPECT_EQ(c.torn_line, 4);
  // A complete last object without its newline is kept.
  EXPECT_EQ(parse_train_jsonl(std::string(kLog) + "{\"step\":60}", "train.jsonl").records.size(), 3u);
}

TEST(TrainCurves, MalformedLinesNameFileAndLine) {
  // A cut line followed by its newline, or by more lines, is not a torn write: an error.
  EXPECT_EQ(error_of(std::string(kLog) + "{\"step\":60,\"lo\n").find("run/train.jsonl:4: expected one JSON object"), 0u)
      << error_of(std::string(kLog) + "{\"step\":60,\"lo\n");
  EXPECT_EQ(error_of("{\"step\":1}\nnot json\n{\"step\":2}\n").find("run/train.jsonl:2: expected one JSON object per "
                                                                    "line, got 'not json'"),
            0u);
  EXPECT_EQ(error_of("[1, 2]\n").find("run/train.jsonl:1: expected one JSON object"), 0u);
  EXPECT_EQ(error_of("{\"step\":1}\n{\"loss\":1.0}\n"),
            "run/train.jsonl:2: an interval line needs an integer \"step\", got none");
  EXPECT_EQ(error_of("{\"step\":1.5}\n"), "run/train.jsonl:1: an interval line needs an integer \"step\", got 1.5");
  EXPECT_EQ(error_of("{\"step\":1}\n\n{\"step\":2,\"lr\":\"fast\"}\n"),
            "run/train.jsonl:3: \"lr\" must be a number, got \"fast\"");
}

TEST(TrainCurves, ReadingAMissingFileIsAnIoErrorNamingIt) {
  testing::TempDir dir;
  try {
    read_train_jsonl(dir / "nope.jsonl");
    FAIL() << "no error";
  } catch (const IoError& e) {
    EXPECT_NE(std::string(e.what()).find((dir / "nope.jsonl").string()), std::string::npos) << e.what();
  }
  testing::write_text(dir / "train.jsonl", kLog);
  EXPECT_EQ(read_train_jsonl(dir / "train.jsonl").records.size(), 2u);
}

}  // namespace
}  // namespace fv::plot
