// Binding and validation of fv-embed's configuration.
#include "embed/embed_config.h"

#include <fmt/format.h>

#include "core/check.h"

namespace fv {

const EnumNames<InputKind>& input_kind_names() {
  static const EnumNames<InputKind> names{
      {"auto", InputKind::kAuto}, {"folder", InputKind::kFolder}, {"list", InputKind::kList},
      {"recordio", InputKind::kRecordIO}, {"bin", InputKind::kBin}};
  return names;
}

void EmbedConfig::bind(OptionSet& o) {
  o.add("threads", &threads, "decoding and LibTorch threads (0 = all available cores)")
      .add("embed.input", &input, "image folder (identity sub-folders, any depth), list file (`path [label]` lines), RecordIO .rec (+ .idx) or insightface .bin pair set")
      .add_enum("embed.input_kind", &input_kind, input_kind_names(), "how to read embed.input: auto (folder; *.rec: recordio; *.bin: bin; else list), folder, list, recordio, bin")
      .add("embed.output", &output, "HDF5 embeddings file to write (resumed from <output>.partial after a kill)")
      .add("embed.batch_size", &batch_size, "images per inference batch")
      .add("embed.max_failure_rate", &max_failure_rate, "fail when more than this fraction of inputs is unreadable")
      .add("embed.chunk_rows", &chunk_rows, "rows per HDF5 chunk")
      .add("embed.compression", &compression, "gzip level of /embeddings (0 = none, 1-9)");
  embedder.bind(o);
  o.positional("embed.input", 1);
}

void EmbedConfig::validate() const {
  FV_CHECK(!input.empty(), ConfigError, "embed.input is required (an image folder or a list file)");
  FV_CHECK(!output.empty(), ConfigError, "embed.output must name a file");
  FV_CHECK_GT(batch_size, 0, ConfigError, "embed.batch_size must be positive");
  embedder.validate();
  FV_CHECK(max_failure_rate >= 0 && max_failure_rate <= 1, ConfigError, "embed.max_failure_rate must be in [0, 1], got {}",
           max_failure_rate);
  FV_CHECK_GT(chunk_rows, 0, ConfigError, "embed.chunk_rows must be positive");
  FV_CHECK(compression >= 0 && compression <= 9, ConfigError, "embed.compression must be 0-9, got {}", compression);
  FV_CHECK_GE(threads, 0, ConfigError, "threads must not be negative");
}

}  // namespace fv
