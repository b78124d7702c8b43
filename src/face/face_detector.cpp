// The detector factory and what the detectors share (Debian's Haar cascade path, the detection scale).
#include "face/face_detector.h"

#include <algorithm>
#include <filesystem>

#include "core/check.h"

namespace fv {

std::string default_haar_cascade() {
  for (const char* p : {"/usr/share/opencv4/haarcascades/haarcascade_frontalface_default.xml",
                        "/usr/share/opencv/haarcascades/haarcascade_frontalface_default.xml"}) {
    if (std::filesystem::is_regular_file(p)) return p;
  }
  return "";
}

double detection_scale(const cv::Mat& img, int max_side) {
  const int side = std::max(img.cols, img.rows);
  return (max_side > 0 && side > max_side) ? static_cast<double>(max_side) / side : 1.0;
}

std::unique_ptr<FaceDetector> FaceDetector::create(const DetectorOptions& options) {
  FV_CHECK(options.upsample >= 0 && options.upsample <= 4, ConfigError, "detect.upsample must be in [0, 4], got {}",
           options.upsample);
  switch (options.kind) {
    case DetectorKind::kHog:
      return make_hog_detector(options);
    case DetectorKind::kHaar:
      return make_haar_detector(options);
    case DetectorKind::kMmod:
      return make_mmod_detector(options);
    case DetectorKind::kYunet:
      return make_yunet_detector(options);
  }
  throw ConfigError("unknown detector kind");
}

}  // namespace fv
