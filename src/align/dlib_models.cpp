// dlib's HOG face detector and 68-point shape predictor behind the FaceDetector/LandmarkPredictor interfaces.
#include <dlib/image_processing.h>
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "align/dlib_detections.h"
#include "align/face_detector.h"
#include "core/check.h"

namespace fv {
namespace {

// Downscale factor so that the longer side is <= max_side (1 when max_side is 0 or not exceeded).
double detection_scale(const cv::Mat& img, int max_side) {
  const int side = std::max(img.cols, img.rows);
  return (max_side > 0 && side > max_side) ? static_cast<double>(max_side) / side : 1.0;
}

class HogDetector final : public FaceDetector {
 public:
  explicit HogDetector(const DetectorOptions& o) : options_(o), detector_(dlib::get_frontal_face_detector()) {}

  std::vector<FaceBox> detect(const cv::Mat& bgr) override {
    const double s = detection_scale(bgr, options_.max_side);
    cv::Mat small = bgr;
    if (s < 1.0) cv::resize(bgr, small, cv::Size(), s, s, cv::INTER_AREA);
    // HOG features use the gradient of the strongest channel; grey input gives the same boxes 3x cheaper
    // to convert and is what dlib's examples feed it.
    cv::Mat grey;
    cv::cvtColor(small, grey, cv::COLOR_BGR2GRAY);
    dlib::array2d<unsigned char> img;
    dlib::assign_image(img, dlib::cv_image<unsigned char>(grey));
    const double factor = pyramid_up_times(img, options_.upsample);
    std::vector<dlib::rect_detection> dets;
    detector_(img, dets, options_.threshold);
    return to_face_boxes(dets, 1.0 / (factor * s));
  }
  std::unique_ptr<FaceDetector> clone() const override { return std::make_unique<HogDetector>(*this); }
  std::string describe() const override {
    return fmt::format("dlib HOG frontal face detector (upsample {}, threshold {}, max_side {})", options_.upsample,
                       options_.threshold, options_.max_side);
  }

 private:
  DetectorOptions options_;
  dlib::frontal_face_detector detector_;
};

class DlibLandmarks final : public LandmarkPredictor {
 public:
  explicit DlibLandmarks(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    FV_CHECK(in.good(), IoError, "cannot open the landmark model '{}'", path);
    try {
      dlib::deserialize(model_, in);
    } catch (const dlib::serialization_error& e) {
      throw FormatError(fmt::format("'{}' is not a dlib shape predictor: {}", path, e.what()));
    }
    FV_CHECK_EQ(model_.num_parts(), 68ul, FormatError, "'{}' must be a 68-point model", path);
  }

  Landmarks68 predict(const cv::Mat& bgr, const FaceBox& box) const override {
    const dlib::cv_image<dlib::bgr_pixel> img(bgr);
    const dlib::rectangle r(static_cast<long>(std::lround(box.x)), static_cast<long>(std::lround(box.y)),
                            static_cast<long>(std::lround(box.x + box.w)) - 1,
                            static_cast<long>(std::lround(box.y + box.h)) - 1);
    const dlib::full_object_detection shape = model_(img, r);
    Landmarks68 out;
    for (unsigned long i = 0; i < 68; ++i) {
      out[i] = {static_cast<float>(shape.part(i).x()), static_cast<float>(shape.part(i).y())};
    }
    return out;
  }

 private:
  dlib::shape_predictor model_;
};

}  // namespace

std::unique_ptr<FaceDetector> make_hog_detector(const DetectorOptions& options) {
  return std::make_unique<HogDetector>(options);
}

std::shared_ptr<const LandmarkPredictor> LandmarkPredictor::create_dlib(const std::string& path) {
  return std::make_shared<DlibLandmarks>(path);
}

std::string find_landmark_model(const std::string& configured) {
  namespace fs = std::filesystem;
  if (!configured.empty()) {
    FV_CHECK(fs::is_regular_file(configured), ConfigError, "landmarks.model: '{}' does not exist", configured);
    return configured;
  }
  std::vector<std::string> places;
  if (const char* env = std::getenv("FV_DLIB_LANDMARKS")) places.emplace_back(env);
  places.emplace_back("/usr/share/dlib/shape_predictor_68_face_landmarks.dat");
  places.emplace_back("/usr/local/share/dlib/shape_predictor_68_face_landmarks.dat");
  for (const auto& p : places) {
    if (fs::is_regular_file(p)) return p;
  }
  std::string list;
  for (const auto& p : places) list += "\n  " + p;
  throw ConfigError(fmt::format(
      "no 68-point landmark model found; install Debian's libdlib-data or set landmarks.model. Searched:{}", list));
}

}  // namespace fv
