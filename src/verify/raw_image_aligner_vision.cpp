// fv-verify's on-the-fly alignment, vision half: fv-align's decoder, HOG detector, dlib landmarks and warp.
#include "verify/raw_image_aligner_vision.h"

#include <opencv2/imgproc.hpp>

#include <fmt/format.h>

#include "align/face_aligner.h"
#include "align/face_detector.h"
#include "align/face_template.h"
#include "align/image_io.h"
#include "core/error.h"
#include "core/landmarks.h"

namespace fv::vision {
namespace {

class Warper : public FaceWarper {
 public:
  Warper(int templ, int upsample, const std::string& landmark_model, int width, int height) {
    DetectorOptions d;
    d.kind = DetectorKind::kHog;
    d.upsample = upsample;
    detector_ = FaceDetector::create(d);
    predictor_ = LandmarkPredictor::create_dlib(find_landmark_model(landmark_model));
    const TemplateKind kind = templ == 1 ? TemplateKind::kSphereface
                              : templ == 2 ? TemplateKind::kDlibChip
                                           : TemplateKind::kArcface;
    target_ = resize_template(builtin_template(kind), width, height);
  }

  bool align(const std::string& path, int* width, int* height, std::vector<std::uint8_t>* rgb) override {
    const DecodedImage decoded = decode_image_file(path, DecodeLimits{});
    if (decoded.status == DecodeStatus::kMissing) throw IoError(fmt::format("'{}': {}", path, decoded.detail));
    if (decoded.status != DecodeStatus::kOk) throw FormatError(fmt::format("'{}': {}", path, decoded.detail));
    const cv::Mat& bgr = decoded.bgr;
    std::vector<FaceBox> boxes = detector_->detect(bgr);
    if (boxes.empty()) return false;
    const FaceBox face = choose_faces(std::move(boxes), MultiFacePolicy::kLargest, bgr.cols, bgr.rows).front();
    const Landmarks5 points = five_from_68(predictor_->predict(bgr, face));
    // fv-align's default weights (align.weights): the eyes count 4x, the mouth corners move with expression.
    const cv::Mat aligned = warp_to_template(bgr, points, target_, {4, 4, 1, 1, 1});
    *width = aligned.cols;
    *height = aligned.rows;
    rgb->resize(static_cast<std::size_t>(aligned.cols) * aligned.rows * 3);
    cv::Mat dst(aligned.rows, aligned.cols, CV_8UC3, rgb->data());
    cv::cvtColor(aligned, dst, cv::COLOR_BGR2RGB);
    return true;
  }

 private:
  std::unique_ptr<FaceDetector> detector_;
  std::shared_ptr<const LandmarkPredictor> predictor_;
  FaceTemplate target_;
};

}  // namespace

std::unique_ptr<FaceWarper> FaceWarper::create(int templ, int upsample, const std::string& landmark_model, int width,
                                               int height) {
  return std::make_unique<Warper>(templ, upsample, landmark_model, width, height);
}

}  // namespace fv::vision
