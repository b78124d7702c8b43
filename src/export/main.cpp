// fv-export: writes a model file in other frameworks' formats; one subcommand per format.
#include <fmt/format.h>

#include <cstring>
#include <string>

#include "core/cli.h"
#include "core/error.h"
#include "core/options.h"
#include "export/onnx_export.h"

namespace {

int run_onnx(int argc, char** argv) {
  fv::OnnxExportConfig config;
  fv::OptionSet options("fv-export onnx",
                        "write a model file's backbone as an ONNX model (input 'data', dynamic batch; the form "
                        "insightface's torch2onnx.py writes and ArcFaceONNX runs)");
  config.bind(options);
  options.positional("export.model", 1);
  if (!options.parse(argc, argv)) return 0;
  config.validate();
  fv::export_onnx(config, options.hash());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  return fv::run_main("fv-export", [&] {
    const std::string usage =
        "usage: fv-export SUBCOMMAND [--help] [options]\n\nsubcommands:\n"
        "  onnx       the backbone as an ONNX model (onnxruntime, OpenCV DNN, TensorRT)\n\n"
        "'fv-export SUBCOMMAND --help' lists the subcommand's options.\n";
    if (argc < 2 || std::strcmp(argv[1], "--help") == 0 || std::strcmp(argv[1], "-h") == 0) {
      fmt::print("{}", usage);
      return argc < 2 ? static_cast<int>(fv::kExitConfig) : 0;
    }
    if (std::strcmp(argv[1], "onnx") == 0) return run_onnx(argc - 1, argv + 1);
    throw fv::ConfigError(fmt::format("unknown subcommand '{}'; valid subcommands are: onnx", argv[1]));
  });
}
