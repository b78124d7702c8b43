// dlib's HOG face detector (frontal_face_detector) behind the FaceDetector interface.
#include <dlib/image_processing/frontal_face_detector.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>

#include "core/check.h"
#include "face/dlib_detections.h"
#include "face/face_detector.h"

namespace fv {
namespace {

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

}  // namespace

std::unique_ptr<FaceDetector> make_hog_detector(const DetectorOptions& options) {
  return std::make_unique<HogDetector>(options);
}

}  // namespace fv
