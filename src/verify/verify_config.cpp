// Binding and validation of fv-verify's configuration.
#include "verify/verify_config.h"

#include "core/check.h"

namespace fv {

void VerifyConfig::bind(OptionSet& o) {
  o.add("threads", &threads, "LibTorch threads (0 = all available cores)")
      .add("verify.a", &a, "first image, or an id of verify.embeddings (1:1); the probe in 1:N")
      .add("verify.b", &b, "second image, or an id of verify.embeddings (1:1)")
      .add("verify.embeddings", &embeddings, "HDF5 embeddings file whose ids verify.a / verify.b name")
      .add("verify.threshold", &threshold, "cosine similarity at or above which a pair is the same person")
      .add("verify.report", &report, "fv-eval report.json to take the threshold from (at verify.far)")
      .add("verify.far", &far, "false accept rate whose threshold is taken from verify.report")
      .add("verify.gallery", &gallery, "1:N: HDF5 gallery embeddings to rank against")
      .add("verify.probes", &probes, "1:N: HDF5 file whose every row is a probe (instead of verify.a)")
      .add("verify.top_k", &top_k, "1:N: matches listed per probe")
      .add("verify.json", &json, "print JSON instead of text")
      .add_enum("verify.align", &align, raw_align_names(),
                "images: none (already aligned) or auto (decode, detect, landmarks and warp as fv-align does, with the "
                "[detect], [landmarks] and [align] keys; needs FV_WITH_VISION)");
  face.bind(o);
  // The keys fv-verify had before it shared fv-align's: an error that names the new key.
  o.renamed("verify.align_template", "align.template")
      .renamed("verify.align_upsample", "detect.upsample")
      .renamed("verify.align_landmarks", "landmarks.model");
  embedder.bind(o);
  o.positional("verify.a", 1).positional("verify.b", 1);
}

void VerifyConfig::validate() const {
  embedder.validate();
  FV_CHECK_GE(threads, 0, ConfigError, "threads must not be negative");
  if (align == RawAlign::kAuto) {
    FV_CHECK(raw_alignment_available(), ConfigError,
             "verify.align = auto needs a build with FV_WITH_VISION=ON (the face library's OpenCV and dlib half); use "
             "verify.align = none with images aligned by fv-align");
    face.validate();
    FV_CHECK(face.policy != MultiFacePolicy::kAll, ConfigError,
             "detect.policy = all aligns every face, but fv-verify compares one face per image: use prominent, largest, center, "
             "score or reject");
  }
  FV_CHECK(far > 0 && far < 1, ConfigError, "verify.far must be in (0, 1), got {}", far);
  if (search_mode()) {
    FV_CHECK(!a.empty() || !probes.empty(), ConfigError, "1:N needs a probe: verify.a or verify.probes");
    FV_CHECK(a.empty() || probes.empty(), ConfigError, "give verify.a or verify.probes, not both");
    FV_CHECK_GT(top_k, 0, ConfigError, "verify.top_k must be positive");
  } else {
    FV_CHECK(!a.empty() && !b.empty(), ConfigError,
             "1:1 needs verify.a and verify.b (two images, or two ids of verify.embeddings); 1:N needs verify.gallery");
  }
}

}  // namespace fv
