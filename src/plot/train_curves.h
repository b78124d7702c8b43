// fv-train's train.jsonl read back for charts: the interval lines (loss, accuracy, lr, lambda... against step).
//
// Format (src/train/train_log.h, src/train/trainer.cpp): one JSON object per line. Interval lines hold "step" and
// the figures of the interval that ended there ("epoch", "loss", "accuracy", "lr", "lambda", "alpha",
// "images_per_second", "elapsed", with fp16 "loss_scale"); of the event lines, "validation" lines ("step", "set",
// "accuracy"; a line without "set" is fv-train's older val.pairs line, set "pairs") give the validation curves,
// the others ("test", "final") are skipped.
#pragma once

#include <cstdint>
#include <filesystem>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace fv::plot {

struct TrainRecord {
  std::int64_t step = 0;
  // Empty when the line lacks the field, or holds it as null (how nlohmann-json writes NaN and infinities).
  std::optional<double> epoch, loss, accuracy, lr, lambda, alpha, images_per_second, elapsed;
};

struct ValidationPoint {
  std::int64_t step = 0;
  std::string set;
  double accuracy = 0;
};

struct TrainCurves {
  std::vector<TrainRecord> records;  // the interval lines, in file order
  std::vector<ValidationPoint> validations;  // the "validation" lines, in file order
  std::int64_t torn_line = 0;        // line number of a torn last line that was dropped (a killed run), else 0
};

// Parses the text of a train.jsonl; `name` (its path) heads error messages. A last line without its newline that
// is not valid JSON is the torn write of a killed run: dropped with a warning. Blank lines are skipped. Throws
// FormatError "name:line: ..." for any other line that is not a JSON object, an interval line without an integer
// "step", a field above that is neither a number nor null, or a validation line without an integer "step" and a
// numeric "accuracy".
TrainCurves parse_train_jsonl(std::string_view text, const std::string& name);

// Reads and parses the file. Throws IoError naming it when it cannot be read, FormatError as parse_train_jsonl.
TrainCurves read_train_jsonl(const std::filesystem::path& path);

}  // namespace fv::plot
