// One photo to aligned faces, the step fv-align and fv-verify share: detect (or take the caller's box or
// points), choose by detect.policy, 68 landmarks, warp onto the template (dlib's exact chip for dlib_chip).
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/landmarks.h"
#include "face/face_align_options.h"
#include "face/face_detector.h"
#include "face/face_template.h"
#include "face/landmark_predictor.h"

namespace fv {

// How the face in an aligned image was found.
enum class FaceSource {
  kDetected,    // the detector found it (chosen by detect.policy)
  kGiven,       // the caller gave its box or its 5 points (fv-align list files)
  kPriorBox,    // nothing detected: landmarks found in the prior box (face/prior_box.h), aligned from them
  kCenterCrop,  // nothing detected (and no plausible prior-box landmarks): the centred crop, not aligned
};
// detected, given, prior_box, center_crop.
const char* face_source_name(FaceSource source);

// What the caller already knows about the face (fv-align list files). Landmarks win over a box.
struct FaceHint {
  bool has_box = false;
  FaceBox box;
  bool has_landmarks = false;
  Landmarks5 landmarks{};  // 5-point order of core/landmarks.h, image pixels
};

struct AlignedFace {
  cv::Mat bgr;  // target.width x target.height, 8-bit BGR
  FaceSource source = FaceSource::kDetected;
  bool has_box = false;  // the detected or given box, image pixels (with `score` for detections)
  FaceBox box;
  bool has_landmarks = false;  // the 5 points, image pixels, 5-point order of core/landmarks.h (for the
  Landmarks5 landmarks{};      // dlib chip, the reduction of the 68 points the chip was fitted to)
  bool dlib_chip = false;      // warped with dlib's exact chip geometry from 68 points, not the 5-point fit
};

enum class FaceAlignStatus {
  kOk,            // faces holds the chosen faces (one, or every face with detect.policy = all)
  kNoFace,        // nothing detected; faces holds what align.no_face gives: one face from the prior box or the
                  // centre crop (see its source), or nothing
  kSeveralFaces,  // several faces and detect.policy = reject; faces is empty
};

struct FaceAlignResult {
  FaceAlignStatus status = FaceAlignStatus::kNoFace;
  int detections = 0;  // boxes the detector returned (after detect.min_face); 1 for a given box or points
  std::vector<AlignedFace> faces;
  bool padded_detection = false;   // kOk: found on the photo with a replicated border (align.no_face = prior_box*)
  std::string prior_box_rejected;  // kNoFace: why the prior-box landmarks were not used (empty if not tried)

  // "; prior box not used: <why>" for messages, or "" when the prior box was not tried or was used.
  std::string prior_box_note() const {
    return prior_box_rejected.empty() ? std::string() : "; prior box not used: " + prior_box_rejected;
  }
};

// insightface's prominence of a box: its area - 2 x the squared distance of its centre from
// (image_width / 2, image_height / 2) in integers (detect.policy = prominent keeps the largest).
double prominence(const FaceBox& box, int image_width, int image_height);

// Chooses faces by policy: insightface's prominence (area - 2 x squared distance of the box centre from
// (image_width / 2, image_height / 2) in integers, as its detect(max_num)), largest area, centre nearest the image centre, or best score (ties: the
// detector's order) give one face; kAll gives all of them sorted left to right, then top to bottom; kReject
// returns them all unchanged (the caller reports them).
std::vector<FaceBox> choose_faces(std::vector<FaceBox> boxes, MultiFacePolicy policy, int image_width,
                                  int image_height);

// The options with what they need loaded: the detector, the 68-point model and the template. Not
// thread-safe (the detector is not); clone() one per worker thread, which shares the landmark model.
class FaceAlignContext {
 public:
  // `detector` may be null when every call brings a hint; `predictor` may be null when every face comes with
  // 5 points (a YuNet detector, or hints with landmarks). `target` is the output template.
  FaceAlignContext(FaceAlignOptions options, FaceTemplate target, std::unique_ptr<FaceDetector> detector,
                   std::shared_ptr<const LandmarkPredictor> predictor);
  // Creates the detector and, unless it is YuNet (which gives 5 points) and align.no_face needs no prior box,
  // the 68-point model that `options` name; the template is template_from_config(options, default_width, default_height).
  // Requires options.validate() to pass. Throws as FaceDetector::create, find_landmark_model,
  // LandmarkPredictor::create_dlib and template_from_config.
  static FaceAlignContext load(const FaceAlignOptions& options, int default_width = 0, int default_height = 0);

  FaceAlignContext clone() const;
  const FaceAlignOptions& options() const { return options_; }
  const FaceTemplate& target() const { return target_; }
  FaceDetector* detector() const { return detector_.get(); }
  const LandmarkPredictor* predictor() const { return predictor_.get(); }
  const std::vector<double>& weights() const { return weights_; }

 private:
  FaceAlignOptions options_;
  FaceTemplate target_;
  std::vector<double> weights_;
  std::unique_ptr<FaceDetector> detector_;
  std::shared_ptr<const LandmarkPredictor> predictor_;
};

// Aligns the face(s) of `bgr` (8-bit BGR): the hint's 5 points, else its box, else the detector's boxes
// (smaller than detect.min_face dropped, chosen by detect.policy); 68 landmarks for a box without points;
// then align.template = dlib_chip at a square size with 68 points is dlib's exact chip (warp_dlib_chip),
// anything else the weighted 5-point fit (warp_to_template, align.weights). Without a detection,
// align.no_face = prior_box*: detection again on the photo with a replicated border (a face that fills the
// photo; only boxes of positive prominence), then the 68 points fitted in the prior box (centred, align.prior_box of the shorter side) and
// warped the same way when they look like a face, and/or the centre crop.
// A photo without a face is a result (kNoFace), not an error. Throws ConfigError when the detector or the
// landmark model needed is missing from `context`, DataError for degenerate landmarks.
FaceAlignResult align_face(const cv::Mat& bgr, FaceAlignContext& context, const FaceHint& hint = {});

}  // namespace fv
