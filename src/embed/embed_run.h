// The embedding run: inputs -> batches -> embedder (+ flip TTA, L2) -> resumable HDF5 file.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "dataset/sample_source.h"
#include "embed/embed_config.h"
#include "embedder/embedder.h"

namespace fv {

struct EmbedSummary {
  std::int64_t inputs = 0;
  std::int64_t embedded = 0;  // rows in the output, including rows from an interrupted earlier run
  std::int64_t failed = 0;    // unreadable inputs, listed in <output>.failures.csv
  std::int64_t resumed_rows = 0;
  double seconds = 0;
  bool interrupted = false;   // stopped by SIGINT/SIGTERM: the partial file is kept for a resume
};

// Opens embed.input as a folder, list file, RecordIO pair or .bin set (embed.input_kind; errors name the path).
// For a .bin set, fills `pair_flags` (when non-null) with its same/different flags: pair i is inputs 2i, 2i+1.
std::unique_ptr<SampleSource> open_embed_input(const EmbedConfig& config,
                                               std::optional<std::vector<std::int8_t>>* pair_flags = nullptr);

// Runs the whole job. Resumes from <output>.partial when it exists: rows already committed are kept,
// embedding continues after the last committed input. Unreadable inputs are skipped and recorded in
// <output>.failures.csv (`index,id,reason`); the run throws DataError when their share exceeds
// embed.max_failure_rate. Writes the resolved config to <output>.ini (by the caller).
// With `pair_flags` (a .bin set), /pair_flags is written too and every input must be readable (a skipped
// image would shift the pairs): the first unreadable one throws DataError naming it.
EmbedSummary run_embed(const EmbedConfig& config, const SampleSource& source, Embedder& embedder,
                       const std::string& config_hash,
                       const std::optional<std::vector<std::int8_t>>& pair_flags = std::nullopt);

}  // namespace fv
