// Landmark conventions shared by every stage: dlib's 68-point order and the project's 5-point order.
//
// 68 points, dlib / iBUG 300-W order (0-based; "left"/"right" are the subject's, as in 300-W):
//   0-16 jaw line from the image-left ear to the image-right ear, 17-21 subject's right brow (image-left),
//   22-26 subject's left brow, 27-30 nose bridge (top to tip), 31-35 nose base (image-left to image-right),
//   36-41 subject's right eye (image-left), 42-47 subject's left eye, 48-59 outer lip (48 and 54 are the
//   mouth corners), 60-67 inner lip.
//
// 5 points, in the order of insightface's ArcFace template (image coordinates, "left" = image-left):
//   0 left eye centre, 1 right eye centre, 2 nose tip, 3 left mouth corner, 4 right mouth corner.
// NOTE: dlib's own 5-point shape model uses a different order (eye corners, no mouth); OpenCV's YuNet
// returns right eye first. Always convert to this order at the boundary.
#pragma once

#include <array>

namespace fv {

struct Point2f {
  float x = 0.f;
  float y = 0.f;
};

using Landmarks68 = std::array<Point2f, 68>;
using Landmarks5 = std::array<Point2f, 5>;

enum Landmark5Index : int { kLeftEye = 0, kRightEye = 1, kNoseTip = 2, kLeftMouth = 3, kRightMouth = 4 };

// Eye centres are the means of the six eye-contour points; nose tip is point 30; mouth corners 48 and 54.
inline Landmarks5 five_from_68(const Landmarks68& p) {
  auto mean6 = [&](int first) {
    Point2f m;
    for (int i = first; i < first + 6; ++i) {
      m.x += p[i].x / 6.f;
      m.y += p[i].y / 6.f;
    }
    return m;
  };
  return {mean6(36), mean6(42), p[30], p[48], p[54]};
}

}  // namespace fv
