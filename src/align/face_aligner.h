// fv-align's step for one input: decode, align_face (the face library), encode, one manifest row per face.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "align/align_config.h"
#include "align/inputs.h"
#include "align/manifest.h"
#include "face/align_face.h"
#include "face/face_detector.h"
#include "face/face_template.h"
#include "face/landmark_predictor.h"

namespace fv {

struct AlignOutput {
  ManifestRow row;      // output/record filled in by the caller when it writes the face
  std::string encoded;  // the aligned image encoded as output.format (empty when nothing to write)
};

// Not thread-safe (owns a detector); make one per worker. The landmark predictor is shared.
class FaceAligner {
 public:
  // `detector` may be null when every input brings its own box or landmarks; `predictor` may be null
  // only with a detector that gives landmarks (YuNet) or with list landmarks. `config` must outlive this.
  FaceAligner(const AlignConfig& config, FaceTemplate target, std::unique_ptr<FaceDetector> detector,
              std::shared_ptr<const LandmarkPredictor> predictor);

  // Never throws for bad input files: every outcome is one or more rows (one per face written).
  // Throws only for internal errors (which the caller records as status error).
  std::vector<AlignOutput> process(const InputItem& item);
  // The same on an already decoded image (benchmarks, tests).
  std::vector<AlignOutput> process_image(const InputItem& item, const cv::Mat& bgr);

  const FaceTemplate& target() const { return context_.target(); }

 private:
  ManifestRow base_row(const InputItem& item) const;

  const AlignConfig& config_;
  FaceAlignContext context_;
};

}  // namespace fv
