// fv-embed: model + images -> embeddings in HDF5.
#include <fmt/format.h>

#include "core/cli.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/options.h"
#include "embed/embed_config.h"
#include "embed/embed_run.h"
#include "model/torch_runtime.h"

int main(int argc, char** argv) {
  return fv::run_main("fv-embed", [&] {
    fv::EmbedConfig config;
    fv::OptionSet options("fv-embed", "embed images (folder, list file, RecordIO .rec or insightface .bin) with a model into an HDF5 file");
    config.bind(options);
    if (!options.parse(argc, argv)) return 0;
    config.validate();
    options.write_resolved(config.output + ".ini");

    fv::configure_torch_threads(config.threads);
    std::optional<std::vector<std::int8_t>> pair_flags;  // .bin sets only
    const auto source = fv::open_embed_input(config, &pair_flags);
    const auto embedder = fv::make_embedder(config.embedder);
    fv::log::info("fv-embed: {} inputs from {}, model {} ({}-D), flip {}, config {}; {}", source->size(), config.input,
                  embedder->description(), embedder->dim(), fv::enum_name(fv::flip_mode_names(), config.embedder.flip),
                  options.hash(), fv::torch_runtime_summary());
    const fv::EmbedSummary s = fv::run_embed(config, *source, *embedder, options.hash(), pair_flags);
    if (s.interrupted) {
      fv::log::warn("interrupted after {} rows; run the same command again to resume", s.embedded);
      return static_cast<int>(fv::kExitInterrupted);
    }
    fv::log::info("wrote {} embeddings to {} ({} unreadable, {} resumed) in {:.1f} s ({:.1f} img/s)", s.embedded,
                  config.output, s.failed, s.resumed_rows, s.seconds,
                  static_cast<double>(s.embedded - s.resumed_rows) / std::max(s.seconds, 1e-9));
    return 0;
  });
}
