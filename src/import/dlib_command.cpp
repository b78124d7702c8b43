// fv-import dlib: options -> DlibImportConfig -> import_dlib.
#include "core/logging.h"
#include "core/options.h"
#include "import/commands.h"
#include "import/dlib_import.h"

namespace fv {

int run_dlib_command(int argc, char** argv) {
  DlibImportConfig config;
  OptionSet options("fv-import dlib",
                    "turn dlib's ResNet face descriptor, as TensorFlow.js weights (npm @vladmandic/face-api: "
                    "face_recognition_model-weights_manifest.json + face_recognition_model.bin, fetched by "
                    "scripts/fetch-face-api.sh), into a model file (backbone dlib_resnet, 150x150 RGB, 128-D)");
  config.bind(options);
  if (!options.parse(argc, argv)) return 0;
  config.validate();
  const DlibImportSummary s = import_dlib(config, options.hash());
  log::info("fv-import dlib: {} tensors ({} quantised), {} parameters -> {} (config {})", s.tensors, s.quantized,
            s.parameters, config.output, options.hash());
  return 0;
}

}  // namespace fv
