// align_face: detection or hint, choice of faces, landmarks and warp, for fv-align and fv-verify alike.
#include "face/align_face.h"

#include <algorithm>

#include "core/check.h"
#include "face/prior_box.h"
#include "face/warp.h"

namespace fv {

const char* face_source_name(FaceSource source) {
  switch (source) {
    case FaceSource::kDetected: return "detected";
    case FaceSource::kGiven: return "given";
    case FaceSource::kPriorBox: return "prior_box";
    case FaceSource::kCenterCrop: return "center_crop";
  }
  return "?";
}

double prominence(const FaceBox& b, int image_width, int image_height) {
  // insightface: img_center = img.shape[0] // 2, img.shape[1] // 2; values = area - offset ** 2 * 2.0.
  const double dx = b.x + b.w / 2.0 - image_width / 2, dy = b.y + b.h / 2.0 - image_height / 2;
  return static_cast<double>(b.w) * b.h - 2.0 * (dx * dx + dy * dy);
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
      case MultiFacePolicy::kProminent:
        return prominence(b, image_width, image_height);
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
  if (options.detector != DetectorKind::kYunet || uses_prior_box(options.no_face)) {
    predictor = LandmarkPredictor::create_dlib(find_landmark_model(options.landmark_model));
  }
  return FaceAlignContext(options, std::move(target), std::move(detector), std::move(predictor));
}

FaceAlignContext FaceAlignContext::clone() const {
  return FaceAlignContext(options_, target_, detector_ ? detector_->clone() : nullptr, predictor_);
}

namespace {

// The aligned face from 68 points: dlib's exact chip geometry for align.template = dlib_chip at a square
// size, else the weighted 5-point fit.
AlignedFace align_points(const cv::Mat& bgr, const FaceBox& box, const Landmarks68& points, FaceSource source,
                         const FaceAlignContext& context) {
  AlignedFace face;
  face.source = source;
  face.has_box = true;
  face.box = box;
  face.has_landmarks = true;
  face.landmarks = five_from_68(points);
  const FaceTemplate& target = context.target();
  if (context.options().template_kind == TemplateKind::kDlibChip && target.width == target.height) {
    face.dlib_chip = true;
    face.bgr = warp_dlib_chip(bgr, points, target.width);
  } else {
    face.bgr = warp_to_template(bgr, face.landmarks, target, context.weights());
  }
  return face;
}

// The aligned face of one chosen box: its own 5 points (YuNet) or the 68-point model's.
AlignedFace align_box(const cv::Mat& bgr, const FaceBox& box, FaceSource source, const FaceAlignContext& context) {
  if (!box.has_landmarks) {
    FV_CHECK(context.predictor() != nullptr, ConfigError, "no landmark predictor configured");
    return align_points(bgr, box, context.predictor()->predict(bgr, box), source, context);
  }
  AlignedFace face;
  face.source = source;
  face.has_box = true;
  face.box = box;
  face.has_landmarks = true;
  face.landmarks = box.landmarks;
  face.bgr = warp_to_template(bgr, face.landmarks, context.target(), context.weights());
  return face;
}

// The detector's boxes, those smaller than detect.min_face dropped.
std::vector<FaceBox> detect_faces(const cv::Mat& bgr, const FaceAlignContext& context) {
  FV_CHECK(context.detector() != nullptr, ConfigError, "no face detector configured");
  std::vector<FaceBox> boxes = context.detector()->detect(bgr);
  if (const int min_face = context.options().min_face; min_face > 0) {
    boxes.erase(std::remove_if(boxes.begin(), boxes.end(),
                               [&](const FaceBox& b) { return std::min(b.w, b.h) < min_face; }),
                boxes.end());
  }
  return boxes;
}

// The chosen faces of `boxes` found in `img`, which is the photo with a border of `pad` pixels: their boxes and
// points are reported in the photo's pixels.
void align_boxes(const cv::Mat& img, std::vector<FaceBox> boxes, int pad, FaceSource source,
                 const FaceAlignContext& context, FaceAlignResult& result) {
  if (boxes.size() > 1 && context.options().policy == MultiFacePolicy::kReject) {
    result.status = FaceAlignStatus::kSeveralFaces;
    return;
  }
  result.status = FaceAlignStatus::kOk;
  for (const FaceBox& box : choose_faces(std::move(boxes), context.options().policy, img.cols, img.rows)) {
    AlignedFace face = align_box(img, box, source, context);
    face.box.x -= pad;
    face.box.y -= pad;
    for (Point2f& p : face.landmarks) {
      p.x -= pad;
      p.y -= pad;
    }
    result.faces.push_back(std::move(face));
  }
}

// align.no_face for a photo without a detection: the prior-box face, the centre crop, or nothing.
void align_without_detection(const cv::Mat& bgr, const FaceAlignContext& context, FaceAlignResult& result) {
  const FaceAlignOptions& options = context.options();
  result.status = FaceAlignStatus::kNoFace;
  if (uses_prior_box(options.no_face)) {
    FV_CHECK(context.predictor() != nullptr, ConfigError, "align.no_face = prior_box needs the 68-point model");
    const PriorBoxFit fit = fit_landmarks_in_prior_box(
        bgr, *context.predictor(), centred_prior_box(bgr.cols, bgr.rows, options.prior_box));
    if (fit.ok) {
      result.faces.push_back(align_points(bgr, fit.box, fit.points, FaceSource::kPriorBox, context));
      return;
    }
    result.prior_box_rejected = fit.reason;
  }
  if (options.no_face == NoFacePolicy::kCenterCrop || options.no_face == NoFacePolicy::kPriorBoxThenCrop) {
    AlignedFace face;
    face.source = FaceSource::kCenterCrop;
    face.bgr = center_crop(bgr, context.target().width, context.target().height);
    result.faces.push_back(std::move(face));
  }
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
    boxes = detect_faces(bgr, context);
  }
  result.detections = static_cast<int>(boxes.size());
  const FaceSource source = hint.has_box ? FaceSource::kGiven : FaceSource::kDetected;
  if (!boxes.empty()) {
    align_boxes(bgr, std::move(boxes), 0, source, context, result);
    return result;
  }
  if (!hint.has_box && uses_prior_box(options.no_face)) {
    // A face that fills the photo has no margin for HOG's window: detect again with a replicated border.
    int pad = 0;
    const cv::Mat padded = pad_replicated(bgr, &pad);
    std::vector<FaceBox> found = detect_faces(padded, context);
    // Only a face large and central enough to be the photo's subject (insightface's prominence above 0): the
    // border also gives context to a bystander cut by the edge, who must not replace the prior box.
    found.erase(std::remove_if(found.begin(), found.end(),
                               [&](const FaceBox& b) {
                                 FaceBox in_photo = b;
                                 in_photo.x -= pad;
                                 in_photo.y -= pad;
                                 return prominence(in_photo, bgr.cols, bgr.rows) <= 0;
                               }),
                found.end());
    if (!found.empty()) {
      result.detections = static_cast<int>(found.size());
      result.padded_detection = true;
      align_boxes(padded, std::move(found), pad, source, context, result);
      return result;
    }
  }
  align_without_detection(bgr, context, result);
  return result;
}

}  // namespace fv
