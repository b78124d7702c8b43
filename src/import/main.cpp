// fv-import: turns pretrained weights from other frameworks into the project's model file; one subcommand per source.
#include <fmt/format.h>

#include <cstring>
#include <string>
#include <vector>

#include "core/cli.h"
#include "core/error.h"
#include "import/commands.h"
#include "import/iresnet_command.h"

namespace {

struct Subcommand {
  const char* name;
  const char* summary;
  int (*run)(int argc, char** argv);
};

// Add new importers here (one line each; the implementation in a file of its own, declared in commands.h).
const std::vector<Subcommand>& subcommands() {
  static const std::vector<Subcommand> list = {
      {"dlib", "dlib's ResNet face descriptor from TensorFlow.js weights (npm @vladmandic/face-api)", fv::run_dlib_command},
      {"iresnet", "insightface iResNet-18/50/100 from a PyTorch state dict (torch.save(model.state_dict()))",
       fv::run_iresnet_import},
#ifdef FV_WITH_ONNX
      {"onnx", "an ONNX recognition network (insightface model zoo, torch2onnx.py, fv-export onnx)", fv::run_onnx_command},
#endif
  };
  return list;
}

std::string usage() {
  std::string text = "usage: fv-import SUBCOMMAND [--help] [options]\n\nsubcommands:\n";
  for (const auto& s : subcommands()) text += fmt::format("  {:<10} {}\n", s.name, s.summary);
  text += "\n'fv-import SUBCOMMAND --help' lists the subcommand's options.\n";
  return text;
}

}  // namespace

int main(int argc, char** argv) {
  return fv::run_main("fv-import", [&] {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
      fmt::print("{}", usage());
      return argc < 2 ? static_cast<int>(fv::kExitConfig) : 0;
    }
    for (const auto& s : subcommands()) {
      if (s.name == std::string(argv[1])) return s.run(argc - 1, argv + 1);
    }
    std::string names;
    for (const auto& s : subcommands()) names += (names.empty() ? "" : ", ") + std::string(s.name);
    throw fv::ConfigError(fmt::format("unknown subcommand '{}'; valid subcommands are: {}", argv[1], names));
  });
}
