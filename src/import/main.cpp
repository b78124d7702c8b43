// fv-import: turns pretrained models from other frameworks into the project's model file (subcommands).
#include <fmt/format.h>

#include <cstring>
#include <iostream>

#include "core/cli.h"
#include "core/error.h"
#include "import/iresnet_command.h"

int main(int argc, char** argv) {
  return fv::run_main("fv-import", [&] {
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
      std::cout << "usage: fv-import SUBCOMMAND [options]\nsubcommands:\n"
                   "  iresnet   insightface iResNet-18/50/100 PyTorch state dict -> model file\n"
                   "run 'fv-import SUBCOMMAND --help' for its options\n";
      return argc < 2 ? static_cast<int>(fv::kExitConfig) : 0;
    }
    if (std::strcmp(argv[1], "iresnet") == 0) return fv::run_iresnet_import(argc - 1, argv + 1);
    throw fv::ConfigError(fmt::format("unknown subcommand '{}'; valid subcommands: iresnet", argv[1]));
  });
}
