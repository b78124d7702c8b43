// A whole alignment run over a dataset: inputs, shard, resume, worker pool, outputs, manifest, summary.
#pragma once

#include <cstdint>
#include <string>

#include "align/align_config.h"
#include "align/manifest.h"

namespace fv {

struct AlignRunResult {
  StatusCounts counts;            // over the whole manifest (earlier runs included)
  std::uint64_t shard_inputs = 0; // inputs in this shard
  std::uint64_t skipped = 0;      // already in the manifest
  std::uint64_t processed = 0;    // processed by this run
  double seconds = 0;
  bool interrupted = false;       // stopped by SIGINT/SIGTERM (the manifest is consistent; re-run resumes)
};

// Runs fv-align. Outputs under config.output_dir:
//   images/<relative path>[_<face>].jpg|png   aligned faces (output.images)
//   <record_name><suffix>.rec/.idx            RecordIO (output.recordio), key = record index from 0
//   property                                  insightface's "num_classes,height,width" (output.recordio)
//   identities.tsv                            "label<TAB>identity" per identity (all shards identical)
//   manifest<suffix>.csv, summary<suffix>.json, align<suffix>.ini (the resolved config)
// Nothing is written outside output.dir: images/<relative> names are confined (inputs.h, confined_stem), a
// path that would still leave images/ or that is the input file itself becomes a row with status error, and
// a folder input that is or holds output.dir/images, or lies inside it, is refused. Stale temporaries of a
// killed run are removed from output.dir and images/ first.
// Requires config.validate() to have passed. Throws ConfigError (e.g. an existing manifest with
// run.resume=false, the folder overlap above), IoError for output failures, DataError when more than
// run.max_errors inputs fail internally. `config_ini` is the resolved config text written beside the outputs, `config_hash` its hash.
AlignRunResult run_align(const AlignConfig& config, const std::string& config_ini, const std::string& config_hash);

}  // namespace fv
