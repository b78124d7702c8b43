// dlib's MMOD CNN face detector (mmod_human_face_detector.dat, supplied by the user) as a FaceDetector.
#include <dlib/dnn.h>
#include <dlib/image_transforms.h>
#include <dlib/opencv/cv_image.h>

#include <fmt/format.h>

#include <opencv2/imgproc.hpp>

#include <filesystem>

#include "core/check.h"
#include "face/dlib_detections.h"
#include "face/face_detector.h"

namespace fv {
namespace {

// The network of dlib's dnn_mmod_face_detection_ex.cpp; the .dat file must hold exactly this.
template <long N, typename S> using con5d = dlib::con<N, 5, 5, 2, 2, S>;
template <long N, typename S> using con5 = dlib::con<N, 5, 5, 1, 1, S>;
template <typename S>
using downsampler = dlib::relu<dlib::affine<con5d<32, dlib::relu<dlib::affine<con5d<32, dlib::relu<dlib::affine<con5d<16, S>>>>>>>>>;
template <typename S> using rcon5 = dlib::relu<dlib::affine<con5<45, S>>>;
using MmodNet = dlib::loss_mmod<dlib::con<1, 9, 9, 1, 1,
    rcon5<rcon5<rcon5<downsampler<dlib::input_rgb_image_pyramid<dlib::pyramid_down<6>>>>>>>>;

class MmodDetector final : public FaceDetector {
 public:
  explicit MmodDetector(const DetectorOptions& o) : options_(o) {
    FV_CHECK(!o.model.empty(), ConfigError,
             "detect.model: the mmod detector needs dlib's mmod_human_face_detector.dat (not shipped by Debian)");
    FV_CHECK(std::filesystem::is_regular_file(o.model), ConfigError, "detect.model: '{}' does not exist", o.model);
    try {
      dlib::deserialize(o.model) >> net_;
    } catch (const dlib::serialization_error& e) {
      throw FormatError(fmt::format("'{}' is not dlib's MMOD face detector: {}", o.model, e.what()));
    }
  }

  std::vector<FaceBox> detect(const cv::Mat& bgr) override {
    const double s = detection_scale(bgr, options_.max_side);
    cv::Mat rgb;
    cv::cvtColor(bgr, rgb, cv::COLOR_BGR2RGB);
    if (s < 1.0) cv::resize(rgb, rgb, cv::Size(), s, s, cv::INTER_AREA);
    dlib::matrix<dlib::rgb_pixel> img;
    dlib::assign_image(img, dlib::cv_image<dlib::rgb_pixel>(rgb));
    const double factor = pyramid_up_times(img, options_.upsample);
    std::vector<dlib::mmod_rect> dets = net_.process(img, options_.threshold);
    return to_face_boxes(dets, 1.0 / (factor * s));
  }
  std::unique_ptr<FaceDetector> clone() const override { return std::make_unique<MmodDetector>(*this); }
  std::string describe() const override {
    return fmt::format("dlib MMOD CNN detector '{}' (upsample {}, threshold {})", options_.model, options_.upsample,
                       options_.threshold);
  }

 private:
  DetectorOptions options_;
  MmodNet net_;
};

}  // namespace

std::unique_ptr<FaceDetector> make_mmod_detector(const DetectorOptions& options) {
  return std::make_unique<MmodDetector>(options);
}

}  // namespace fv
