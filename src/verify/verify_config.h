// fv-verify's typed configuration ([verify]; [embed] for images embedded on the fly; [detect], [landmarks] and
// [align], the face library's keys fv-align reads too, for photos aligned on the fly).
#pragma once

#include <string>

#include "core/options.h"
#include "embedder/embedder_config.h"
#include "face/face_align_options.h"
#include "verify/raw_image_aligner.h"

namespace fv {

struct VerifyConfig {
  int threads = 0;
  // 1:1. With `embeddings`, a and b are ids of that file; without, they are image paths embedded on the fly.
  std::string a;
  std::string b;
  std::string embeddings;
  double threshold = 0.5;        // cosine similarity at or above which a pair is "same"
  std::string report;            // fv-eval report (JSON) to read the threshold from, at `far`
  double far = 1e-3;
  // 1:N. Probe: `a` (an id of `embeddings`, or an image), or every row of `probes`.
  std::string gallery;
  std::string probes;
  int top_k = 5;
  bool json = false;             // machine-readable output on stdout
  // Images given as paths: none = already aligned; auto = align_face first (vision builds), configured by
  // `face`, whose defaults are fv-align's: with the same keys a photo gives the same face in both.
  RawAlign align = RawAlign::kNone;
  FaceAlignOptions face;
  EmbedderConfig embedder;

  void bind(OptionSet& options);
  void validate() const;
  bool search_mode() const { return !gallery.empty(); }
};

}  // namespace fv
