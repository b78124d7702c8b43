// List-valued benchmark options: "--batch 32 64" or "--batch 32,64" both give {32, 64}.
#pragma once

#include <string>
#include <vector>

#include "core/check.h"
#include "core/error.h"
#include "core/list_values.h"

namespace fv::bench {

// Splits every element at commas and drops empty parts. Throws ConfigError naming `key` when nothing is left.
inline std::vector<std::string> split_list(const std::vector<std::string>& values, const std::string& key) {
  std::vector<std::string> out = split_commas(values);
  FV_CHECK(!out.empty(), ConfigError, "config key '{}' needs at least one value", key);
  return out;
}

// split_list, each part a positive integer. Throws ConfigError naming `key` and the bad part.
inline std::vector<int> split_int_list(const std::vector<std::string>& values, const std::string& key) {
  std::vector<int> out;
  for (const auto& part : split_list(values, key)) {
    std::size_t used = 0;
    int v = 0;
    try {
      v = std::stoi(part, &used);
    } catch (const std::exception&) {
      used = 0;
    }
    FV_CHECK(used == part.size() && v > 0, ConfigError, "config key '{}': '{}' is not a positive integer", key, part);
    out.push_back(v);
  }
  return out;
}

}  // namespace fv::bench
