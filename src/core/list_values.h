// The items of a list-valued key: each value may hold several comma-separated items ("a,b" as well as "a" "b").
#pragma once

#include <string>
#include <vector>

namespace fv {

// Splits every value at commas, in order, dropping empty items.
inline std::vector<std::string> split_commas(const std::vector<std::string>& values) {
  std::vector<std::string> out;
  for (const auto& v : values) {
    std::size_t start = 0;
    while (start <= v.size()) {
      const std::size_t comma = v.find(',', start);
      const std::string part = v.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
      if (!part.empty()) out.push_back(part);
      if (comma == std::string::npos) break;
      start = comma + 1;
    }
  }
  return out;
}

}  // namespace fv
