// The run's JSONL log (train.jsonl): one JSON object per line, flushed as written, so that a killed run
// loses at most the line being written. On resume the lines after the checkpoint's step are dropped (they
// will be produced again), so the log of a resumed run reads as the log of an uninterrupted one.
#pragma once

#include <cstdint>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

namespace fv {

class TrainLog {
 public:
  // Opens `path` for appending. When `resume_step` >= 0, first rewrites the file (atomically) keeping only
  // interval lines whose "step" is <= resume_step, event lines before it and periodic validation lines
  // ("when": "periodic") up to it (and drops a torn last line); when -1, truncates it (a new run).
  TrainLog(std::filesystem::path path, std::int64_t resume_step);
  void write(const nlohmann::json& record);
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::ofstream out_;
};

// The "loss" of the last interval line (a line without "event") of the JSONL log at `path`; 0 when it has none.
double last_logged_loss(const std::filesystem::path& path);

}  // namespace fv
