// Shared by the dlib detectors (HOG, MMOD): upsampling for small faces and detections -> FaceBox.
// Include only from .cpp files that already include dlib's image headers.
#pragma once

#include <vector>

#include "face/face_detector.h"

namespace fv {

// Doubles `img` `times` times with dlib's pyramid_up; returns the total scale factor.
template <class Image>
double pyramid_up_times(Image& img, int times) {
  double factor = 1.0;
  for (int i = 0; i < times; ++i) {
    dlib::pyramid_up(img);
    factor *= 2.0;
  }
  return factor;
}

// Detections (dlib::rect_detection or dlib::mmod_rect) scaled by `k` back to input-image pixels.
template <class Detection>
std::vector<FaceBox> to_face_boxes(const std::vector<Detection>& detections, double k) {
  std::vector<FaceBox> out;
  for (const auto& d : detections) {
    FaceBox b;
    b.x = static_cast<float>(d.rect.left() * k);
    b.y = static_cast<float>(d.rect.top() * k);
    b.w = static_cast<float>(d.rect.width() * k);
    b.h = static_cast<float>(d.rect.height() * k);
    b.score = static_cast<float>(d.detection_confidence);
    out.push_back(b);
  }
  return out;
}

}  // namespace fv
