// Which face detector to run and how: plain options, free of OpenCV and dlib (fv-verify's config binds them
// in builds without the vision libraries too).
#pragma once

#include <string>

#include "core/options.h"

namespace fv {

enum class DetectorKind { kHog, kHaar, kMmod, kYunet };
// hog, haar, mmod, yunet (detect.detector).
const EnumNames<DetectorKind>& detector_kind_names();

struct DetectorOptions {
  DetectorKind kind = DetectorKind::kHog;
  int upsample = 0;          // HOG/MMOD: times the image is doubled (dlib pyramid_up) before detection
  double threshold = 0.0;    // HOG/MMOD: dlib adjust_threshold; YuNet: score threshold; Haar: min level weight
  std::string model;         // MMOD .dat or YuNet .onnx; Haar: cascade XML ("" = Debian's default)
  int haar_min_neighbors = 3;
  int max_side = 0;          // > 0: images whose longer side exceeds it are downscaled for detection
};

}  // namespace fv
