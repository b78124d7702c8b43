// fv-synth: writes a synthetic LFW-style face-identity dataset (images, ground truth, pairs.txt).
#include <filesystem>

#include "core/cli.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/options.h"
#include "synth/generator.h"
#include "synth/synth_config.h"

int main(int argc, char** argv) {
  return fv::run_main("fv-synth", [&] {
    fv::synth::SynthConfig cfg;
    fv::OptionSet options("fv-synth",
                          "Generates N synthetic identities x K images as an LFW-style tree with exact landmarks:\n"
                          "  <output>/images/<Name>/<Name>_0001.jpg, ground_truth.csv, pairs.txt, fv-synth.ini,\n"
                          "  manifest.json. Example: fv-synth --synth.output out --synth.identities 200");
    cfg.bind(options);
    options.positional("synth.output", 1);
    if (!options.parse(argc, argv)) return 0;
    cfg.validate();
    fv::synth::ensure_directory(cfg.output);
    options.write_resolved(std::filesystem::path(cfg.output) / "fv-synth.ini");
    const auto result = fv::synth::generate(cfg, options.hash());
    return result.interrupted ? static_cast<int>(fv::kExitInterrupted) : 0;
  });
}
