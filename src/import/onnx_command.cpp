// `fv-import onnx`: ONNX recognition network (.onnx) -> the project's model file (.fvm).
#include "core/logging.h"
#include "core/options.h"
#include "import/commands.h"
#include "import/onnx_import.h"

namespace fv {

int run_onnx_command(int argc, char** argv) {
  OnnxImportConfig config;
  OptionSet options("fv-import onnx",
                    "turn an ONNX face-recognition network (insightface's model zoo, torch2onnx.py exports, "
                    "MXNet-converted models, fv-export onnx output) into a model file that fv-embed runs");
  config.bind(options);
  options.positional("import.model", 1);
  if (!options.parse(argc, argv)) return 0;
  config.validate();
  import_onnx(config, options.hash());
  options.write_resolved(config.output + ".ini");
  return 0;
}

}  // namespace fv
