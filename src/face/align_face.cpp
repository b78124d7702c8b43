// align_face: detection or hint, choice of faces, landmarks and warp, for fv-align and fv-verify alike.
#include "face/align_face.h"

#include <algorithm>

#include "core/check.h"
#include "face/warp.h"

namespace fv {

const char* face_source_name(FaceSource source) {
  switch (source) {
    case FaceSource::kDetected: return "detected";
    case FaceSource::kGiven: return "given";
    case FaceSource::kCenterCrop: return "center_crop";
  }
  return "?";
}

std::vector<FaceBox> choose_faces(std::vector<FaceBox> boxes, MultiFacePolicy policy, int image_width,
                                  int image_height) {
  if (boxes.size() <= 1 || policy == MultiFacePolicy::kAll || policy == MultiFacePolicy::kReject) {
    if (policy == MultiFacePolicy::kAll) {
      // Deterministic order for several outputs: left to right, then top to bottom.
      std::stable_sort(boxes.begin(), boxes.end(),
                       [](const FaceBox& a, const FaceBox& b) { return a.x != b.x ? a.x < b.x : a.y < b.y; });
    }
    return boxes;
  }
  const float cx = image_width / 2.f, cy = image_height / 2.f;
  auto key = [&](const FaceBox& b) -> double {
    switch (policy) {
      case MultiFacePolicy::kLargest:
        return static_cast<double>(b.w) * b.h;
      case MultiFacePolicy::kCenter: {
        const double dx = b.x + b.w / 2 - cx, dy = b.y + b.h / 2 - cy;
        return -(dx * dx + dy * dy);
      }
      default:
        return b.score;
    }
  };
  // max_element keeps the first of equal keys: ties go to the detector's order.
  const auto best = std::max_element(boxes.begin(), boxes.end(),
                                     [&](const FaceBox& a, const FaceBox& b) { return key(a) < key(b); });
  return {*best};
}

FaceAlignContext::FaceAlignContext(FaceAlignOptions options, FaceTemplate target, std::unique_ptr<FaceDetector> detector,
                                   std::shared_ptr<const LandmarkPredictor> predictor)
    : options_(std::move(options)),
      target_(std::move(target)),
      weights_(options_.fit_weights()),
      detector_(std::move(detector)),
      predictor_(std::move(predictor)) {}

FaceAlignContext FaceAlignContext::load(const FaceAlignOptions& options, int default_width, int default_height) {
  FaceTemplate target = template_from_config(options, default_width, default_height);
  std::unique_ptr<FaceDetector> detector = FaceDetector::create(options.detector_options());
  std::shared_ptr<const LandmarkPredictor> predictor;
  if (options.detector != DetectorKind::kYunet) {
    predictor = LandmarkPredictor::create_dlib(find_landmark_model(options.landmark_model));
  }
  return FaceAlignContext(options, std::move(target), std::move(detector), std::move(predictor));
}

FaceAlignContext FaceAlignContext::clone() const {
  return FaceAlignContext(options_, target_, detector_ ? detector_->clone() : nullptr, predictor_);
}

namespace {

// The aligned face of one chosen box: its own 5 points (YuNet) or the 68-point model's.
AlignedFace align_box(const cv::Mat& bgr, const FaceBox& box, FaceSource source, const FaceAlignContext& context) {
  AlignedFace face;
  face.source = source;
  face.has_box = true;
  face.box = box;
  face.has_landmarks = true;
  const FaceTemplate& target = context.target();
  if (box.has_landmarks) {
    face.landmarks = box.landmarks;
  } else {
    FV_CHECK(context.predictor() != nullptr, ConfigError, "no landmark predictor configured");
    const Landmarks68 points = context.predictor()->predict(bgr, box);
    face.landmarks = five_from_68(points);
    if (context.options().template_kind == TemplateKind::kDlibChip && target.width == target.height) {
      // With the 68 points at hand, dlib_chip is dlib's exact geometry rather than a 5-point fit.
      face.dlib_chip = true;
      face.bgr = warp_dlib_chip(bgr, points, target.width);
      return face;
    }
  }
  face.bgr = warp_to_template(bgr, face.landmarks, target, context.weights());
  return face;
}

}  // namespace

FaceAlignResult align_face(const cv::Mat& bgr, FaceAlignContext& context, const FaceHint& hint) {
  const FaceAlignOptions& options = context.options();
  FaceAlignResult result;
  if (hint.has_landmarks) {
    AlignedFace face;
    face.source = FaceSource::kGiven;
    face.has_landmarks = true;
    face.landmarks = hint.landmarks;
    face.bgr = warp_to_template(bgr, hint.landmarks, context.target(), context.weights());
    result.status = FaceAlignStatus::kOk;
    result.detections = 1;
    result.faces.push_back(std::move(face));
    return result;
  }
  std::vector<FaceBox> boxes;
  if (hint.has_box) {
    boxes.push_back(hint.box);
  } else {
    FV_CHECK(context.detector() != nullptr, ConfigError, "no face detector configured");
    boxes = context.detector()->detect(bgr);
    if (options.min_face > 0) {
      boxes.erase(std::remove_if(boxes.begin(), boxes.end(),
                                 [&](const FaceBox& b) { return std::min(b.w, b.h) < options.min_face; }),
                  boxes.end());
    }
  }
  result.detections = static_cast<int>(boxes.size());
  if (boxes.empty()) {
    // (The detection-policy step inserts the prior-box fallback here, before the centre crop.)
    result.status = FaceAlignStatus::kNoFace;
    if (options.no_face == NoFacePolicy::kCenterCrop) {
      AlignedFace face;
      face.source = FaceSource::kCenterCrop;
      face.bgr = center_crop(bgr, context.target().width, context.target().height);
      result.faces.push_back(std::move(face));
    }
    return result;
  }
  if (boxes.size() > 1 && options.policy == MultiFacePolicy::kReject) {
    result.status = FaceAlignStatus::kSeveralFaces;
    return result;
  }
  result.status = FaceAlignStatus::kOk;
  const FaceSource source = hint.has_box ? FaceSource::kGiven : FaceSource::kDetected;
  for (const FaceBox& box : choose_faces(std::move(boxes), options.policy, bgr.cols, bgr.rows)) {
    result.faces.push_back(align_box(bgr, box, source, context));
  }
  return result;
}

}  // namespace fv
