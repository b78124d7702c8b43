// Per-image alignment: decode, detect, choose faces, landmarks, Umeyama warp to the template, encode.
#include "align/face_aligner.h"

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "core/check.h"

namespace fv {

cv::Mat warp_to_template(const cv::Mat& bgr, const Landmarks5& points, const FaceTemplate& target,
                         const std::vector<double>& weights, Similarity* transform) {
  const Similarity t = fit_similarity(points, target.points, weights);
  const auto m = t.matrix();
  const cv::Mat matrix = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
  cv::Mat out;
  cv::warpAffine(bgr, out, matrix, cv::Size(target.width, target.height), cv::INTER_LINEAR, cv::BORDER_CONSTANT,
                 cv::Scalar::all(0));
  if (transform) *transform = t;
  return out;
}

namespace {

// dlib's exact face chip (get_face_chip_details from the 68 points) for the dlib_chip template at a square size.
cv::Mat warp_dlib_chip(const cv::Mat& bgr, const Landmarks68& points, int size) {
  const auto m = dlib_chip_transform(points, size).matrix();
  const cv::Mat matrix = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
  cv::Mat out;
  cv::warpAffine(bgr, out, matrix, cv::Size(size, size), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return out;
}

}  // namespace

cv::Mat center_crop(const cv::Mat& bgr, int width, int height) {
  const double aspect = static_cast<double>(width) / height;
  int w = bgr.cols, h = bgr.rows;
  if (static_cast<double>(w) / h > aspect) {
    w = std::max(1, static_cast<int>(std::lround(h * aspect)));
  } else {
    h = std::max(1, static_cast<int>(std::lround(w / aspect)));
  }
  const cv::Rect roi((bgr.cols - w) / 2, (bgr.rows - h) / 2, w, h);
  cv::Mat out;
  cv::resize(bgr(roi), out, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  return out;
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

FaceTemplate template_from_config(const AlignConfig& config) {
  const FaceTemplate base = config.template_kind == TemplateKind::kFile ? read_template_file(config.template_file)
                                                                          : builtin_template(config.template_kind);
  return resize_template(base, config.width, config.height);
}

FaceAligner::FaceAligner(const AlignConfig& config, FaceTemplate target, std::unique_ptr<FaceDetector> detector,
                         std::shared_ptr<const LandmarkPredictor> predictor)
    : config_(config),
      target_(std::move(target)),
      weights_(config.fit_weights()),
      detector_(std::move(detector)),
      predictor_(std::move(predictor)) {}

ManifestRow FaceAligner::base_row(const InputItem& item) const {
  ManifestRow r;
  r.input = item.path;
  r.line = item.line;
  r.label = item.label;
  r.identity = item.identity;
  return r;
}

std::vector<AlignedFace> FaceAligner::process(const InputItem& item) {
  const DecodedImage decoded = decode_image_file(item.path, config_.decode_limits());
  if (decoded.status != DecodeStatus::kOk) {
    AlignedFace f;
    f.row = base_row(item);
    switch (decoded.status) {
      case DecodeStatus::kMissing: f.row.status = AlignStatus::kMissing; break;
      case DecodeStatus::kTruncated: f.row.status = AlignStatus::kTruncated; break;
      case DecodeStatus::kTooLarge: f.row.status = AlignStatus::kTooLarge; break;
      case DecodeStatus::kTooSmall: f.row.status = AlignStatus::kTooSmall; break;
      default: f.row.status = AlignStatus::kUnreadable; break;
    }
    f.row.detail = decoded.detail;
    return {f};
  }
  return process_image(item, decoded.bgr);
}

std::vector<AlignedFace> FaceAligner::process_image(const InputItem& item, const cv::Mat& bgr) {
  auto encode = [&](const cv::Mat& img) {
    return encode_image(img, config_.format, config_.jpeg_quality, config_.png_compression);
  };
  if (item.has_landmarks) {
    AlignedFace f;
    f.row = base_row(item);
    f.row.status = AlignStatus::kOk;
    f.row.has_landmarks = true;
    f.row.landmarks = item.landmarks;
    f.row.detail = "given landmarks";
    f.encoded = encode(warp_to_template(bgr, item.landmarks, target_, weights_));
    return {f};
  }
  std::vector<FaceBox> boxes;
  if (item.has_box) {
    boxes.push_back(item.box);
  } else {
    FV_CHECK(detector_ != nullptr, ConfigError, "no detector configured for '{}'", item.path);
    boxes = detector_->detect(bgr);
    if (config_.min_face > 0) {
      boxes.erase(std::remove_if(boxes.begin(), boxes.end(),
                                 [&](const FaceBox& b) { return std::min(b.w, b.h) < config_.min_face; }),
                  boxes.end());
    }
  }
  if (boxes.empty()) {
    AlignedFace f;
    f.row = base_row(item);
    f.row.status = AlignStatus::kNoFace;
    f.row.detail = "no face detected";
    if (config_.no_face == NoFacePolicy::kCenterCrop) {
      f.row.status = AlignStatus::kNoFaceCropped;
      f.row.detail = "no face detected; centre crop written";
      f.encoded = encode(center_crop(bgr, target_.width, target_.height));
    }
    return {f};
  }
  if (boxes.size() > 1 && config_.policy == MultiFacePolicy::kReject) {
    AlignedFace f;
    f.row = base_row(item);
    f.row.status = AlignStatus::kSeveralFaces;
    f.row.detail = fmt::format("{} faces detected", boxes.size());
    return {f};
  }
  const std::vector<FaceBox> chosen = choose_faces(boxes, config_.policy, bgr.cols, bgr.rows);
  std::vector<AlignedFace> out;
  for (std::size_t k = 0; k < chosen.size(); ++k) {
    const FaceBox& b = chosen[k];
    AlignedFace f;
    f.row = base_row(item);
    f.row.status = AlignStatus::kOk;
    f.row.face = static_cast<int>(k);
    f.row.faces = static_cast<int>(chosen.size());
    f.row.has_box = true;
    f.row.x = b.x;
    f.row.y = b.y;
    f.row.w = b.w;
    f.row.h = b.h;
    f.row.has_score = !item.has_box;
    f.row.score = b.score;
    if (boxes.size() > 1) f.row.detail = fmt::format("{} faces detected", boxes.size());
    if (b.has_landmarks) {
      f.row.landmarks = b.landmarks;
    } else {
      FV_CHECK(predictor_ != nullptr, ConfigError, "no landmark predictor configured");
      const Landmarks68 points = predictor_->predict(bgr, b);
      f.row.landmarks = five_from_68(points);
      if (config_.template_kind == TemplateKind::kDlibChip && target_.width == target_.height) {
        // With the 68 points at hand, dlib_chip is dlib's exact geometry rather than a 5-point fit.
        f.row.has_landmarks = true;
        f.encoded = encode(warp_dlib_chip(bgr, points, target_.width));
        out.push_back(std::move(f));
        continue;
      }
    }
    f.row.has_landmarks = true;
    f.encoded = encode(warp_to_template(bgr, f.row.landmarks, target_, weights_));
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace fv
