// Test helper: writes insightface-style .bin verification sets with Python's own pickle (/usr/bin/python3).
#pragma once

#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "support/temp_dir.h"

namespace fv::testing {

// Writes `images` (encoded bytes) and `flags` as pickle.dump((bins, issame_list), f, protocol=protocol), the way
// insightface's scripts do. Returns false when python3 is not available.
inline bool write_bin_with_python(const std::filesystem::path& out, const std::vector<std::string>& images,
                                  const std::vector<bool>& flags, int protocol) {
  const auto dir = out.parent_path() / (out.filename().string() + ".parts");
  std::filesystem::create_directories(dir);
  std::string flag_list;
  for (bool f : flags) flag_list += f ? "True," : "False,";
  for (std::size_t i = 0; i < images.size(); ++i) write_file_atomic(dir / std::to_string(i), images[i]);
  const std::string script = fmt::format(
      "import pickle\n"
      "bins = [open('{0}/%d' % i, 'rb').read() for i in range({1})]\n"
      "with open('{2}', 'wb') as f:\n"
      "    pickle.dump((bins, [{3}]), f, protocol={4})\n",
      dir.string(), images.size(), out.string(), flag_list, protocol);
  write_text(dir / "make.py", script);
  if (!std::filesystem::exists("/usr/bin/python3")) return false;
  return std::system(fmt::format("/usr/bin/python3 '{}'", (dir / "make.py").string()).c_str()) == 0;
}

}  // namespace fv::testing
