// The 68-point landmark predictor (dlib's shape predictor) and where its model file is found.
#pragma once

#include <opencv2/core.hpp>

#include <memory>
#include <string>

#include "core/landmarks.h"
#include "face/face_detector.h"

namespace fv {

// 68-point landmarks inside a face box, in dlib's 68-point order (core/landmarks.h), image pixels.
// predict() is const and thread-safe, so one instance (the dlib model is ~100 MB) is shared by every worker.
class LandmarkPredictor {
 public:
  virtual ~LandmarkPredictor() = default;
  // Requires an 8-bit BGR image. Ensures 68 points (they may lie outside the box or the image).
  virtual Landmarks68 predict(const cv::Mat& bgr, const FaceBox& box) const = 0;
  // Loads dlib's shape_predictor_68_face_landmarks.dat. Throws IoError/FormatError naming the file (also
  // when the model does not have 68 parts).
  static std::shared_ptr<const LandmarkPredictor> create_dlib(const std::string& path);
};

// The 68-point model: `configured` if non-empty (must exist, else ConfigError naming landmarks.model), else
// the first existing file among $FV_DLIB_LANDMARKS, /usr/share/dlib/shape_predictor_68_face_landmarks.dat
// (Debian libdlib-data) and /usr/local/share/dlib/...; throws ConfigError listing the places searched.
std::string find_landmark_model(const std::string& configured);

}  // namespace fv
