// OpenCV's Haar cascade and YuNet face detectors as FaceDetectors.
#include <fmt/format.h>

#include <opencv2/imgproc.hpp>
#include <opencv2/objdetect.hpp>

#include <filesystem>
#include <utility>

#include "face/face_detector.h"
#include "core/check.h"

namespace fv {

namespace {

class HaarDetector final : public FaceDetector {
 public:
  explicit HaarDetector(const DetectorOptions& o) : options_(o) {
    if (options_.model.empty()) options_.model = default_haar_cascade();
    FV_CHECK(!options_.model.empty(), ConfigError,
             "detect.model: no Haar cascade given and Debian's opencv-data is not installed");
    FV_CHECK(cascade_.load(options_.model), IoError, "cannot load the Haar cascade '{}'", options_.model);
  }
  HaarDetector(const HaarDetector& other) : FaceDetector(), options_(other.options_) {
    FV_CHECK(cascade_.load(options_.model), IoError, "cannot load the Haar cascade '{}'", options_.model);
  }

  std::vector<FaceBox> detect(const cv::Mat& bgr) override {
    const double s = detection_scale(bgr, options_.max_side);
    cv::Mat grey;
    cv::cvtColor(bgr, grey, cv::COLOR_BGR2GRAY);
    if (s < 1.0) cv::resize(grey, grey, cv::Size(), s, s, cv::INTER_AREA);
    cv::equalizeHist(grey, grey);
    std::vector<cv::Rect> rects;
    std::vector<int> levels;
    std::vector<double> weights;
    cascade_.detectMultiScale(grey, rects, levels, weights, 1.1, options_.haar_min_neighbors, 0, cv::Size(24, 24),
                              cv::Size(), true);
    std::vector<FaceBox> out;
    for (std::size_t i = 0; i < rects.size(); ++i) {
      const double score = i < weights.size() ? weights[i] : 0.0;
      if (score < options_.threshold) continue;
      FaceBox b;
      b.x = static_cast<float>(rects[i].x / s);
      b.y = static_cast<float>(rects[i].y / s);
      b.w = static_cast<float>(rects[i].width / s);
      b.h = static_cast<float>(rects[i].height / s);
      b.score = static_cast<float>(score);
      out.push_back(b);
    }
    return out;
  }
  std::unique_ptr<FaceDetector> clone() const override { return std::make_unique<HaarDetector>(*this); }
  std::string describe() const override {
    return fmt::format("OpenCV Haar cascade '{}' (min_neighbors {}, min level weight {})", options_.model,
                       options_.haar_min_neighbors, options_.threshold);
  }

 private:
  DetectorOptions options_;
  cv::CascadeClassifier cascade_;
};

// OpenCV 4.6 has cv::FaceDetectorYN (objdetect, runs the ONNX model through the dnn module).
class YunetDetector final : public FaceDetector {
 public:
  explicit YunetDetector(const DetectorOptions& o) : options_(o) {
    FV_CHECK(!o.model.empty(), ConfigError, "detect.model: the yunet detector needs face_detection_yunet_*.onnx");
    FV_CHECK(std::filesystem::is_regular_file(o.model), ConfigError, "detect.model: '{}' does not exist", o.model);
    try {
      net_ = cv::FaceDetectorYN::create(o.model, "", cv::Size(320, 320), static_cast<float>(o.threshold));
    } catch (const cv::Exception& e) {
      throw FormatError(fmt::format("cannot load the YuNet model '{}': {}", o.model, e.what()));
    }
  }
  YunetDetector(const YunetDetector& other) : YunetDetector(other.options_) {}

  std::vector<FaceBox> detect(const cv::Mat& bgr) override {
    const double s = detection_scale(bgr, options_.max_side);
    cv::Mat img = bgr;
    if (s < 1.0) cv::resize(bgr, img, cv::Size(), s, s, cv::INTER_AREA);
    net_->setInputSize(img.size());
    cv::Mat faces;
    net_->detect(img, faces);
    std::vector<FaceBox> out;
    for (int r = 0; r < faces.rows; ++r) {
      const float* f = faces.ptr<float>(r);
      FaceBox b;
      b.x = static_cast<float>(f[0] / s);
      b.y = static_cast<float>(f[1] / s);
      b.w = static_cast<float>(f[2] / s);
      b.h = static_cast<float>(f[3] / s);
      b.score = f[14];
      // YuNet: right eye, left eye, nose tip, right mouth corner, left mouth corner (the subject's sides).
      // Converted to image-left first (core/landmarks.h) by x, which is robust for frontal faces.
      auto pt = [&](int i) { return Point2f{static_cast<float>(f[4 + 2 * i] / s), static_cast<float>(f[5 + 2 * i] / s)}; };
      Point2f e0 = pt(0), e1 = pt(1), m0 = pt(3), m1 = pt(4);
      if (e0.x > e1.x) std::swap(e0, e1);
      if (m0.x > m1.x) std::swap(m0, m1);
      b.landmarks = {e0, e1, pt(2), m0, m1};
      b.has_landmarks = true;
      out.push_back(b);
    }
    return out;
  }
  std::unique_ptr<FaceDetector> clone() const override { return std::make_unique<YunetDetector>(*this); }
  std::string describe() const override {
    return fmt::format("OpenCV YuNet '{}' (score threshold {})", options_.model, options_.threshold);
  }

 private:
  DetectorOptions options_;
  cv::Ptr<cv::FaceDetectorYN> net_;
};

}  // namespace

std::unique_ptr<FaceDetector> make_haar_detector(const DetectorOptions& options) {
  return std::make_unique<HaarDetector>(options);
}
std::unique_ptr<FaceDetector> make_yunet_detector(const DetectorOptions& options) {
  return std::make_unique<YunetDetector>(options);
}

}  // namespace fv
