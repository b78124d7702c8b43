// Face detectors behind one interface: dlib HOG (default), OpenCV Haar cascade, dlib MMOD CNN, OpenCV YuNet.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/landmarks.h"
#include "face/detector_options.h"

namespace fv {

// One detected face in image pixel coordinates. `score` is the detector's own confidence (HOG/MMOD:
// SVM/CNN margin, Haar: level weight, YuNet: probability); not comparable across detectors.
struct FaceBox {
  float x = 0, y = 0, w = 0, h = 0;
  float score = 0;
  bool has_landmarks = false;  // YuNet gives 5 points (converted to the 5-point order of core/landmarks.h)
  Landmarks5 landmarks{};
};

// Not thread-safe: each worker thread uses its own clone().
class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  // Faces in an 8-bit BGR image, in its pixel coordinates (possibly none). Throws only on internal errors.
  virtual std::vector<FaceBox> detect(const cv::Mat& bgr) = 0;
  virtual std::unique_ptr<FaceDetector> clone() const = 0;
  virtual std::string describe() const = 0;

  // Requires options.upsample in [0, 4] (ConfigError otherwise). Throws ConfigError when a model file is
  // required and missing, IoError/FormatError when it cannot be loaded.
  static std::unique_ptr<FaceDetector> create(const DetectorOptions& options);
};

// Implementations (one translation unit each; dlib's headers are slow to compile).
std::unique_ptr<FaceDetector> make_hog_detector(const DetectorOptions& options);
std::unique_ptr<FaceDetector> make_mmod_detector(const DetectorOptions& options);
std::unique_ptr<FaceDetector> make_haar_detector(const DetectorOptions& options);
std::unique_ptr<FaceDetector> make_yunet_detector(const DetectorOptions& options);

// Debian's default Haar cascade path (opencv-data), or "" if it is not installed.
std::string default_haar_cascade();

// For the implementations: the factor (<= 1) that brings the longer side of `img` down to max_side
// (1 when max_side is 0 or not exceeded).
double detection_scale(const cv::Mat& img, int max_side);

}  // namespace fv
