// train.jsonl parsing: interval lines to TrainRecord, a torn last line tolerated, every other error located.
#include "plot/train_curves.h"

#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/logging.h"

namespace fv::plot {
namespace {

struct Field {
  const char* key;
  std::optional<double> TrainRecord::*member;
};
constexpr Field kFields[] = {{"epoch", &TrainRecord::epoch},
                             {"loss", &TrainRecord::loss},
                             {"accuracy", &TrainRecord::accuracy},
                             {"lr", &TrainRecord::lr},
                             {"lambda", &TrainRecord::lambda},
                             {"alpha", &TrainRecord::alpha},
                             {"images_per_second", &TrainRecord::images_per_second},
                             {"elapsed", &TrainRecord::elapsed}};

TrainRecord to_record(const nlohmann::json& j, const std::string& where) {
  const auto step = j.find("step");
  if (step == j.end() || !step->is_number_integer()) {
    throw FormatError(fmt::format("{}: an interval line needs an integer \"step\", got {}", where,
                                  step == j.end() ? std::string("none") : step->dump()));
  }
  TrainRecord r;
  r.step = step->get<std::int64_t>();
  for (const Field& f : kFields) {
    const auto it = j.find(f.key);
    if (it == j.end() || it->is_null()) continue;
    if (!it->is_number()) {
      throw FormatError(fmt::format("{}: \"{}\" must be a number, got {}", where, f.key, it->dump()));
    }
    r.*f.member = it->get<double>();
  }
  return r;
}

ValidationPoint to_validation(const nlohmann::json& j, const std::string& where) {
  const auto step = j.find("step");
  const auto accuracy = j.find("accuracy");
  if (step == j.end() || !step->is_number_integer() || accuracy == j.end() || !accuracy->is_number()) {
    throw FormatError(fmt::format("{}: a validation line needs an integer \"step\" and a numeric \"accuracy\"", where));
  }
  const auto set = j.find("set");
  return {step->get<std::int64_t>(), set != j.end() && set->is_string() ? set->get<std::string>() : "pairs",
          accuracy->get<double>()};
}

}  // namespace

TrainCurves parse_train_jsonl(std::string_view text, const std::string& name) {
  TrainCurves curves;
  std::int64_t number = 0;
  std::size_t start = 0;
  while (start < text.size()) {
    const std::size_t end = std::min(text.find('\n', start), text.size());
    const std::string_view line = text.substr(start, end - start);
    const bool last_without_newline = end == text.size();
    start = end + 1;
    ++number;
    if (line.find_first_not_of(" \t\r") == std::string_view::npos) continue;
    const std::string where = fmt::format("{}:{}", name, number);
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_discarded() && last_without_newline) {
      log::warn("{}: the last line is cut short (a run killed while writing it); plotting the {} lines before it",
                where, number - 1);
      curves.torn_line = number;
      break;
    }
    if (!j.is_object()) {
      throw FormatError(fmt::format("{}: expected one JSON object per line, got '{}'", where,
                                    line.substr(0, std::min<std::size_t>(line.size(), 80))));
    }
    if (j.contains("event")) {
      if (j["event"] == "validation") curves.validations.push_back(to_validation(j, where));
      continue;
    }
    curves.records.push_back(to_record(j, where));
  }
  return curves;
}

TrainCurves read_train_jsonl(const std::filesystem::path& path) {
  return parse_train_jsonl(read_file(path), path.string());
}

}  // namespace fv::plot
