// Test fixtures written by a Python script (Debian's python3-torch, python3-onnx, ...): made once per version of
// the scripts under the build tree, shared by the test processes CTest starts.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace fv::testing {

// Runs `/usr/bin/python3 scripts[0] DIR args` once into DIR = root / (hash of every script's bytes and `args`)
// and returns DIR; later calls (and other processes) find it made. Fixture folders of older versions under
// `root` are removed. Returns an empty path when `probe` (a Python statement such as "import torch") fails,
// so that the caller can skip. Throws std::runtime_error with the script's output when the script fails.
std::filesystem::path python_fixtures(const std::vector<std::string>& scripts, const std::filesystem::path& root,
                                      const std::string& args, const std::string& probe);

}  // namespace fv::testing
