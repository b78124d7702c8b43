// One input image to aligned faces: decode, detect, choose, landmarks, similarity warp, encode.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "align/align_config.h"
#include "align/face_detector.h"
#include "align/face_template.h"
#include "align/inputs.h"
#include "align/manifest.h"
#include "align/similarity.h"

namespace fv {

struct AlignedFace {
  ManifestRow row;      // output/record filled in by the caller when it writes the face
  std::string encoded;  // the aligned image encoded as output.format (empty when nothing to write)
};

// Warps `bgr` so that `points` land on `target`'s points (weighted least squares, see fit_similarity;
// empty weights = insightface's unweighted fit); output target.width x target.height, border 0 (as
// insightface's norm_crop). Stores the transform used in *transform when given.
cv::Mat warp_to_template(const cv::Mat& bgr, const Landmarks5& points, const FaceTemplate& target,
                         const std::vector<double>& weights = {}, Similarity* transform = nullptr);

// The largest centred crop with the template's aspect ratio, resized to its size.
cv::Mat center_crop(const cv::Mat& bgr, int width, int height);

// Chooses faces by policy (kReject returns all of them; the caller reports several_faces).
std::vector<FaceBox> choose_faces(std::vector<FaceBox> boxes, MultiFacePolicy policy, int image_width,
                                  int image_height);

// Not thread-safe (owns a detector); make one per worker. The landmark predictor is shared.
class FaceAligner {
 public:
  // `detector` may be null when every input brings its own box or landmarks; `predictor` may be null
  // only with a detector that gives landmarks (YuNet) or with list landmarks.
  FaceAligner(const AlignConfig& config, FaceTemplate target, std::unique_ptr<FaceDetector> detector,
              std::shared_ptr<const LandmarkPredictor> predictor);

  // Never throws for bad input files: every outcome is one or more rows (one per face written).
  // Throws only for internal errors (which the caller records as status error).
  std::vector<AlignedFace> process(const InputItem& item);
  // The same on an already decoded image (benchmarks, tests).
  std::vector<AlignedFace> process_image(const InputItem& item, const cv::Mat& bgr);

  const FaceTemplate& target() const { return target_; }

 private:
  ManifestRow base_row(const InputItem& item) const;

  const AlignConfig& config_;
  FaceTemplate target_;
  std::vector<double> weights_;
  std::unique_ptr<FaceDetector> detector_;
  std::shared_ptr<const LandmarkPredictor> predictor_;
};

// The template selected by config (built-in or file), scaled to align.width x align.height.
FaceTemplate template_from_config(const AlignConfig& config);

}  // namespace fv
