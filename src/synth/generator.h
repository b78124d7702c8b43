// fv-synth's library entry point: renders N identities x K images in parallel and writes the LFW-style
// tree, the ground-truth CSV, pairs.txt and a manifest.
#pragma once

#include <string>

#include "synth/synth_config.h"

namespace fv::synth {

struct GenerateResult {
  int images = 0;          // images written
  int pairs_per_fold = 0;  // P written to pairs.txt
  double seconds = 0;      // wall time of the rendering loop
  bool interrupted = false;  // stop_requested() ended the run early (CSV, pairs and manifest not written)
};

// Requires cfg.validate() to pass. Writes under cfg.output:
//   images/<Name>/<Name>_<nnnn>.jpg, ground_truth.csv, pairs.txt, manifest.json (holding config_hash).
// The output bytes depend only on the [synth] keys, not on cfg.threads. Throws ConfigError (pairs_per_fold
// too large), IoError (unwritable output), or the first error raised by a worker thread.
GenerateResult generate(const SynthConfig& cfg, const std::string& config_hash);

// Creates `dir` and its parents; throws IoError naming it on failure.
void ensure_directory(const std::string& dir);

// The CSV header line (without newline): path,identity,label,box_x,box_y,box_w,box_h,l5_0_x..l5_4_y,p0_x..p67_y.
std::string ground_truth_header();

}  // namespace fv::synth
