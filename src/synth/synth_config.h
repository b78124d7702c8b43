// SynthConfig: every key of fv-synth (section [synth] plus the top-level `threads`), bound to OptionSet.
#pragma once

#include <cstdint>
#include <string>

#include "core/options.h"

namespace fv::synth {

struct SynthConfig {
  // Output tree and size.
  std::string output;             // synth.output: output folder (required)
  int identities = 200;           // synth.identities: N >= 20 (pairs.txt needs 2 identities per fold)
  int images_per_identity = 10;   // synth.images_per_identity: K >= 2
  int width = 250;                // synth.width, synth.height: image size in pixels
  int height = 250;
  std::uint64_t seed = 1;         // synth.seed: same seed and config => same bytes
  int pairs_per_fold = 0;         // synth.pairs_per_fold: P; 0 = as many as every fold allows, up to 300
  int jpeg_quality_min = 70;      // synth.jpeg_quality_min/max: JPEG quality drawn uniformly per image
  int jpeg_quality_max = 95;
  int render_scale = 3;           // synth.render_scale: supersampling factor (drawn at scale x size)

  // Geometry of the face in the frame.
  double face_scale = 0.36;       // synth.face_scale: brow width / min(width, height)
  double scale_jitter = 0.12;     // synth.scale_jitter: relative scale change, uniform +-
  double shift_jitter = 0.06;     // synth.shift_jitter: translation, fraction of the size, uniform +-

  // Per-image variation strengths.
  double yaw_deg = 25;            // synth.yaw_deg: head yaw, triangular distribution in +-yaw_deg
  double pitch_deg = 15;          // synth.pitch_deg
  double roll_deg = 15;           // synth.roll_deg
  double expression = 1.0;        // synth.expression: 0 = neutral only, 1 = full mouth open/smile/brow raise
  double lighting = 1.0;          // synth.lighting: 0 = flat ambient light, 1 = strong directional light
  double light_colour = 0.25;     // synth.light_colour: max tint of the illuminant per channel (+-)
  double brightness = 0.25;       // synth.brightness: global exposure change, uniform +-
  int clutter_max = 14;           // synth.clutter_max: background shapes per image, uniform in [0, max]
  double blur_max = 1.2;          // synth.blur_max: Gaussian blur sigma (output pixels) uniform in [0, max]
  double noise_max = 6.0;         // synth.noise_max: pixel noise sigma (0-255 scale) uniform in [0, max]

  // Identity appearance.
  double identity_spread = 1.0;   // synth.identity_spread: scales the between-identity geometry variation
  double glasses_prob = 0.25;     // synth.glasses_prob: fraction of identities wearing glasses
  double beard_prob = 0.2;        // synth.beard_prob: fraction of identities with a beard

  int threads = 0;                // threads: worker threads, 0 = all cores

  void bind(OptionSet& o);
  // Throws ConfigError naming the first bad key.
  void validate() const;
};

}  // namespace fv::synth
