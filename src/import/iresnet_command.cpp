// `fv-import iresnet`: insightface iResNet state dict (.pth) -> the project's model file (.fvm).
#include "import/iresnet_command.h"

#include "core/cli.h"
#include "core/logging.h"
#include "core/options.h"
#include "import/iresnet_state_dict.h"

namespace fv {

int run_iresnet_import(int argc, char** argv) {
  IResNetImportConfig config;
  OptionSet options("fv-import iresnet",
                    "import insightface iResNet-18/50/100 weights saved by torch.save(model.state_dict()) as a model file");
  config.bind(options);
  options.positional("import.state_dict", 1);
  if (!options.parse(argc, argv)) return 0;
  config.validate();
  const IResNetImport imported = import_iresnet(config, options.hash());
  options.write_resolved(config.output + ".ini");
  log::info("config {}; preprocessing RGB {}x{}, (pixel - 127.5) / 127.5", options.hash(), imported.meta.preprocess.width,
            imported.meta.preprocess.height);
  return 0;
}

}  // namespace fv
