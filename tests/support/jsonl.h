// Reads a JSONL file (one JSON object per line, e.g. fv-train's train.jsonl) for tests.
#pragma once

#include <filesystem>
#include <fstream>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace fv::testing {

// Every line of `path` parsed as JSON (an unreadable file gives no lines; a malformed line throws).
inline std::vector<nlohmann::json> read_jsonl(const std::filesystem::path& path) {
  std::ifstream in(path);
  std::vector<nlohmann::json> lines;
  std::string line;
  while (std::getline(in, line)) lines.push_back(nlohmann::json::parse(line));
  return lines;
}

}  // namespace fv::testing
