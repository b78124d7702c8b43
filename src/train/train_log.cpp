// JSONL training log with resume truncation.
#include "train/train_log.h"

#include <fmt/format.h>

#include <sstream>

#include "core/atomic_file.h"
#include "core/error.h"

namespace fv {

TrainLog::TrainLog(std::filesystem::path path, std::int64_t resume_step) : path_(std::move(path)) {
  std::string kept;
  std::error_code ec;
  if (resume_step >= 0 && std::filesystem::exists(path_, ec)) {
    std::istringstream in(read_file(path_));
    std::string line;
    while (std::getline(in, line)) {
      const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
      if (j.is_discarded()) continue;  // the torn last line of a killed run
      // Interval lines up to the checkpoint's step stay; events (validation, test, final) of that step or later
      // belong to a session that is being continued and are produced again if still due. A periodic validation
      // at the checkpoint's step is not (the resumed loop starts after that step), and it measured exactly the
      // checkpoint's weights: it stays.
      const std::int64_t step = j.value("step", std::int64_t{0});
      const bool periodic_validation = j.value("event", "") == "validation" && j.value("when", "") == "periodic";
      if (step > resume_step || (j.contains("event") && step >= resume_step && !periodic_validation)) continue;
      kept += line + "\n";
    }
  }
  write_file_atomic(path_, kept);
  out_.open(path_, std::ios::app);
  if (!out_) throw IoError(fmt::format("{}: cannot open the training log for writing", path_.string()));
}

void TrainLog::write(const nlohmann::json& record) {
  out_ << record.dump() << '\n';
  out_.flush();
  if (!out_) throw IoError(fmt::format("{}: write failed", path_.string()));
}

double last_logged_loss(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::string line;
  double loss = 0;
  while (std::getline(in, line)) {
    const auto j = nlohmann::json::parse(line, nullptr, /*allow_exceptions=*/false);
    if (j.is_object() && !j.contains("event") && j.contains("loss") && j.at("loss").is_number())
      loss = j.at("loss").get<double>();
  }
  return loss;
}

}  // namespace fv
