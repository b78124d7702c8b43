// Binding and validation of SynthConfig.
#include "synth/synth_config.h"

#include "core/check.h"
#include "synth/pairs.h"

namespace fv::synth {

void SynthConfig::bind(OptionSet& o) {
  o.add("threads", &threads, "worker threads (0 = all cores); output does not depend on it")
      .add("synth.output", &output, "output folder (images/, ground_truth.csv, pairs.txt, fv-synth.ini)")
      .add("synth.identities", &identities, "number of identities N (>= 20)")
      .add("synth.images_per_identity", &images_per_identity, "images per identity K (>= 2)")
      .add("synth.width", &width, "image width in pixels")
      .add("synth.height", &height, "image height in pixels")
      .add("synth.seed", &seed, "random seed; same seed and config give byte-identical output")
      .add("synth.pairs_per_fold", &pairs_per_fold,
           "same and different pairs per fold in pairs.txt (0 = as many as the data allows, up to 300)")
      .add("synth.jpeg_quality_min", &jpeg_quality_min, "lowest JPEG quality (1-100)")
      .add("synth.jpeg_quality_max", &jpeg_quality_max, "highest JPEG quality (1-100)")
      .add("synth.render_scale", &render_scale, "supersampling factor for antialiasing (1-8)")
      .add("synth.face_scale", &face_scale, "face (brow) width as a fraction of the image size")
      .add("synth.scale_jitter", &scale_jitter, "relative face scale variation (+-)")
      .add("synth.shift_jitter", &shift_jitter, "face position variation as a fraction of the image size (+-)")
      .add("synth.yaw_deg", &yaw_deg, "head yaw range in degrees (+-)")
      .add("synth.pitch_deg", &pitch_deg, "head pitch range in degrees (+-)")
      .add("synth.roll_deg", &roll_deg, "head roll range in degrees (+-)")
      .add("synth.expression", &expression, "expression strength 0-1 (mouth open, smile, brow raise)")
      .add("synth.lighting", &lighting, "directional light strength 0-1 (0 = flat)")
      .add("synth.light_colour", &light_colour, "illuminant colour tint per channel (+-, 0-1)")
      .add("synth.brightness", &brightness, "global exposure variation (+-, 0-1)")
      .add("synth.clutter_max", &clutter_max, "maximum background clutter shapes per image")
      .add("synth.blur_max", &blur_max, "maximum Gaussian blur sigma in output pixels")
      .add("synth.noise_max", &noise_max, "maximum pixel noise sigma (0-255 scale)")
      .add("synth.identity_spread", &identity_spread, "scale of the between-identity geometry variation")
      .add("synth.glasses_prob", &glasses_prob, "fraction of identities wearing glasses (0-1)")
      .add("synth.beard_prob", &beard_prob, "fraction of identities with a beard (0-1)");
}

void SynthConfig::validate() const {
  FV_CHECK(!output.empty(), ConfigError, "config key 'synth.output' is required: the output folder");
  FV_CHECK_GE(identities, 20, ConfigError, "config key 'synth.identities': pairs.txt needs 2 identities per fold");
  FV_CHECK_GE(images_per_identity, 2, ConfigError,
              "config key 'synth.images_per_identity': same-person pairs need 2 images");
  FV_CHECK(width >= 32 && width <= 4096, ConfigError, "config key 'synth.width' must be in [32, 4096], got {}", width);
  FV_CHECK(height >= 32 && height <= 4096, ConfigError, "config key 'synth.height' must be in [32, 4096], got {}",
           height);
  FV_CHECK_GE(pairs_per_fold, 0, ConfigError, "config key 'synth.pairs_per_fold' (0 = auto)");
  FV_CHECK(jpeg_quality_min >= 1 && jpeg_quality_min <= 100, ConfigError,
           "config key 'synth.jpeg_quality_min' must be in [1, 100], got {}", jpeg_quality_min);
  FV_CHECK(jpeg_quality_max >= jpeg_quality_min && jpeg_quality_max <= 100, ConfigError,
           "config key 'synth.jpeg_quality_max' must be in [jpeg_quality_min = {}, 100], got {}", jpeg_quality_min,
           jpeg_quality_max);
  FV_CHECK(render_scale >= 1 && render_scale <= 8, ConfigError,
           "config key 'synth.render_scale' must be in [1, 8], got {}", render_scale);
  FV_CHECK(face_scale > 0.05 && face_scale <= 0.8, ConfigError,
           "config key 'synth.face_scale' must be in (0.05, 0.8], got {}", face_scale);
  auto unit = [](const char* key, double v) {
    FV_CHECK(v >= 0.0 && v <= 1.0, ConfigError, "config key '{}' must be in [0, 1], got {}", key, v);
  };
  unit("synth.scale_jitter", scale_jitter);
  unit("synth.shift_jitter", shift_jitter);
  unit("synth.expression", expression);
  unit("synth.lighting", lighting);
  unit("synth.light_colour", light_colour);
  unit("synth.brightness", brightness);
  unit("synth.glasses_prob", glasses_prob);
  unit("synth.beard_prob", beard_prob);
  FV_CHECK(scale_jitter < 0.9, ConfigError, "config key 'synth.scale_jitter' must be < 0.9, got {}", scale_jitter);
  auto angle = [](const char* key, double v) {
    FV_CHECK(v >= 0.0 && v <= 60.0, ConfigError, "config key '{}' must be in [0, 60] degrees, got {}", key, v);
  };
  angle("synth.yaw_deg", yaw_deg);
  angle("synth.pitch_deg", pitch_deg);
  angle("synth.roll_deg", roll_deg);
  FV_CHECK(clutter_max >= 0 && clutter_max <= 1000, ConfigError,
           "config key 'synth.clutter_max' must be in [0, 1000], got {}", clutter_max);
  FV_CHECK(blur_max >= 0.0 && blur_max <= 10.0, ConfigError, "config key 'synth.blur_max' must be in [0, 10], got {}",
           blur_max);
  FV_CHECK(noise_max >= 0.0 && noise_max <= 100.0, ConfigError,
           "config key 'synth.noise_max' must be in [0, 100], got {}", noise_max);
  FV_CHECK(identity_spread >= 0.0 && identity_spread <= 3.0, ConfigError,
           "config key 'synth.identity_spread' must be in [0, 3], got {}", identity_spread);
  FV_CHECK_GE(threads, 0, ConfigError, "config key 'threads' (0 = all cores)");
  resolve_pairs_per_fold(pairs_per_fold, identities, images_per_identity);  // throws naming synth.pairs_per_fold
}

}  // namespace fv::synth
