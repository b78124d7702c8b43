// Face detectors behind one interface: dlib HOG (default), OpenCV Haar cascade, dlib MMOD CNN, OpenCV YuNet.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>
#include <vector>

#include "core/landmarks.h"
#include "core/options.h"

namespace fv {

enum class DetectorKind { kHog, kHaar, kMmod, kYunet };
const EnumNames<DetectorKind>& detector_kind_names();

// One detected face in image pixel coordinates. `score` is the detector's own confidence (HOG/MMOD:
// SVM/CNN margin, Haar: level weight, YuNet: probability); not comparable across detectors.
struct FaceBox {
  float x = 0, y = 0, w = 0, h = 0;
  float score = 0;
  bool has_landmarks = false;  // YuNet gives 5 points (converted to the order of core/landmarks.h)
  Landmarks5 landmarks{};
};

struct DetectorOptions {
  DetectorKind kind = DetectorKind::kHog;
  int upsample = 0;          // HOG/MMOD: times the image is doubled (dlib pyramid_up) before detection
  double threshold = 0.0;    // HOG/MMOD: dlib adjust_threshold; YuNet: score threshold; Haar: min level weight
  std::string model;         // MMOD .dat or YuNet .onnx; Haar: cascade XML ("" = Debian's default)
  int haar_min_neighbors = 3;
  int max_side = 0;          // > 0: images whose longer side exceeds it are downscaled for detection
};

// Not thread-safe: each worker thread uses its own clone().
class FaceDetector {
 public:
  virtual ~FaceDetector() = default;
  // Faces in an 8-bit BGR image, in its pixel coordinates. Throws only on internal errors.
  virtual std::vector<FaceBox> detect(const cv::Mat& bgr) = 0;
  virtual std::unique_ptr<FaceDetector> clone() const = 0;
  virtual std::string describe() const = 0;

  // Throws ConfigError when a model file is required and missing, IoError when it cannot be loaded.
  static std::unique_ptr<FaceDetector> create(const DetectorOptions& options);
};

// Implementations (one translation unit each; dlib's headers are slow to compile).
std::unique_ptr<FaceDetector> make_hog_detector(const DetectorOptions& options);
std::unique_ptr<FaceDetector> make_mmod_detector(const DetectorOptions& options);
std::unique_ptr<FaceDetector> make_haar_detector(const DetectorOptions& options);
std::unique_ptr<FaceDetector> make_yunet_detector(const DetectorOptions& options);

// Debian's default Haar cascade path (opencv-data), or "" if it is not installed.
std::string default_haar_cascade();

// 68-point landmarks (order of core/landmarks.h) inside a face box. predict() is const and thread-safe,
// so one instance (the dlib model is ~100 MB) is shared by every worker.
class LandmarkPredictor {
 public:
  virtual ~LandmarkPredictor() = default;
  virtual Landmarks68 predict(const cv::Mat& bgr, const FaceBox& box) const = 0;
  // Loads dlib's shape_predictor_68_face_landmarks.dat. Throws IoError/FormatError naming the file.
  static std::shared_ptr<const LandmarkPredictor> create_dlib(const std::string& path);
};

// The 68-point model: `configured` if non-empty (must exist), else the first existing file among
// $FV_DLIB_LANDMARKS, /usr/share/dlib/shape_predictor_68_face_landmarks.dat (Debian libdlib-data) and
// /usr/local/share/dlib/...; throws ConfigError listing the places searched.
std::string find_landmark_model(const std::string& configured);

}  // namespace fv
