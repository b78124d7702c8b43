// fv-embed's typed configuration ([embed] section).
#pragma once

#include <cstdint>
#include <string>

#include "core/options.h"
#include "embedder/embedder_config.h"

namespace fv {

// auto: a folder is kFolder, *.rec is kRecordIO, *.bin is kBin, anything else a list file.
enum class InputKind { kAuto, kFolder, kList, kRecordIO, kBin };

struct EmbedConfig {
  int threads = 0;                  // top-level key: decoding + LibTorch threads (0 = all cores)
  std::string input;                // image folder (identity sub-folders), list file (`path [label]`), .rec or .bin
  InputKind input_kind = InputKind::kAuto;
  std::string output = "embeddings.h5";
  EmbedderConfig embedder;
  int batch_size = 64;
  double max_failure_rate = 0.01;   // fail the run when more than this fraction of inputs is unreadable
  std::int64_t chunk_rows = 1024;
  int compression = 0;              // gzip level for /embeddings, 0 = none

  void bind(OptionSet& options);
  void validate() const;            // throws ConfigError naming the key
};

const EnumNames<InputKind>& input_kind_names();

}  // namespace fv
