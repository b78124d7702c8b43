// The prior-box fallback: iterated 68-point predictions in a box re-drawn from the points, and the checks
// that keep only face-like results.
#include "face/prior_box.h"

#include <fmt/format.h>

#include <opencv2/core.hpp>

#include <algorithm>
#include <cmath>
#include <functional>

namespace fv {
namespace {

struct FaceAxes {
  Point2f eyes;       // midpoint of the eye centres
  Point2f mouth;      // midpoint of the mouth corners
  double eye_distance = 0;
  double eye_to_mouth = 0;
  double roll_degrees = 0;  // angle of the line from the image-left eye to the image-right eye
  double mouth_below = 0;   // eye-to-mouth component along the eye line's downward normal, over eye_to_mouth
};

FaceAxes face_axes(const Landmarks68& points) {
  const Landmarks5 p = five_from_68(points);
  FaceAxes a;
  a.eyes = {(p[kLeftEye].x + p[kRightEye].x) / 2, (p[kLeftEye].y + p[kRightEye].y) / 2};
  a.mouth = {(p[kLeftMouth].x + p[kRightMouth].x) / 2, (p[kLeftMouth].y + p[kRightMouth].y) / 2};
  const double ux = p[kRightEye].x - p[kLeftEye].x, uy = p[kRightEye].y - p[kLeftEye].y;
  const double vx = a.mouth.x - a.eyes.x, vy = a.mouth.y - a.eyes.y;
  a.eye_distance = std::hypot(ux, uy);
  a.eye_to_mouth = std::hypot(vx, vy);
  a.roll_degrees = std::atan2(uy, ux) * 180.0 / M_PI;
  // Image y points down: the eye line (ux, uy) turned a quarter clockwise, (-uy, ux), points to the chin.
  if (a.eye_distance > 0 && a.eye_to_mouth > 0) {
    a.mouth_below = (-uy * vx + ux * vy) / (a.eye_distance * a.eye_to_mouth);
  }
  return a;
}

}  // namespace

cv::Mat pad_replicated(const cv::Mat& bgr, int* pad) {
  *pad = std::max(bgr.cols, bgr.rows) / 4;
  cv::Mat padded;
  cv::copyMakeBorder(bgr, padded, *pad, *pad, *pad, *pad, cv::BORDER_REPLICATE);
  return padded;
}

FaceBox centred_prior_box(int image_width, int image_height, double relative_size) {
  const float side = static_cast<float>(relative_size * std::min(image_width, image_height));
  FaceBox b;
  b.x = (image_width - side) / 2;
  b.y = (image_height - side) / 2;
  b.w = b.h = side;
  return b;
}

FaceBox hog_box_from_landmarks(const Landmarks68& points) {
  const FaceAxes a = face_axes(points);
  const double side = kHogBoxSide * (a.eye_distance + a.eye_to_mouth) / 2;
  const double cx = a.eyes.x + kHogBoxCentre * (a.mouth.x - a.eyes.x);
  const double cy = a.eyes.y + kHogBoxCentre * (a.mouth.y - a.eyes.y);
  FaceBox b;
  b.x = static_cast<float>(cx - side / 2);
  b.y = static_cast<float>(cy - side / 2);
  b.w = b.h = static_cast<float>(side);
  return b;
}

std::string implausible_landmarks(const Landmarks68& points, int image_width, int image_height) {
  for (const Point2f& q : points) {
    if (!std::isfinite(q.x) || !std::isfinite(q.y)) return "a landmark is not a finite number";
  }
  const FaceAxes a = face_axes(points);
  if (a.eye_distance < 8) return fmt::format("the eyes are {:.1f} px apart (at least 8 needed)", a.eye_distance);
  if (std::abs(a.roll_degrees) > 45) return fmt::format("the eye line is tilted {:.0f} degrees", a.roll_degrees);
  // The mouth must lie below the eyes, roughly along the eye line's normal (cos of 35 degrees).
  if (a.mouth_below < 0.82) return "the mouth is not below the eyes";
  // Eye-to-mouth over eye distance: 0.765-1.336 (0.5th-99.5th percentile) on the shared photos' HOG detections.
  const double ratio = a.eye_to_mouth / a.eye_distance;
  if (ratio < 0.6 || ratio > 1.8) return fmt::format("eye-to-mouth / eye distance = {:.2f} (0.6-1.8 expected)", ratio);
  // Faces cut by the border are fine; points far beyond it are not.
  const double margin = 0.5 * (a.eye_distance + a.eye_to_mouth) / 2;
  int outside = 0;
  for (const Point2f& q : points) {
    if (q.x < -margin || q.y < -margin || q.x > image_width + margin || q.y > image_height + margin) ++outside;
  }
  if (outside > 0) return fmt::format("{} of the 68 points lie far outside the image", outside);
  return {};
}

double box_iou(const FaceBox& a, const FaceBox& b) {
  const double ix = std::max(0.f, std::min(a.x + a.w, b.x + b.w) - std::max(a.x, b.x));
  const double iy = std::max(0.f, std::min(a.y + a.h, b.y + b.h) - std::max(a.y, b.y));
  const double inter = ix * iy;
  const double uni = static_cast<double>(a.w) * a.h + static_cast<double>(b.w) * b.h - inter;
  return uni > 0 ? inter / uni : 0.0;
}

namespace {

using Predict = std::function<Landmarks68(const FaceBox&)>;

double mean_following(const Predict& predict, const FaceBox& box, const Landmarks68& points) {
  const float shift = static_cast<float>(kBoxFollowingShift) * box.w;
  if (!(shift > 0)) return 1.0;
  constexpr int first = 17;  // the brows, nose, eyes and mouth; the jaw line is weakly anchored in any photo
  const float offsets[4][2] = {{-shift, 0}, {shift, 0}, {0, -shift}, {0, shift}};
  double total = 0;
  for (const auto& o : offsets) {
    FaceBox moved = box;
    moved.x += o[0];
    moved.y += o[1];
    const Landmarks68 q = predict(moved);
    double sum = 0;
    for (std::size_t i = first; i < q.size(); ++i) sum += std::hypot(q[i].x - points[i].x, q[i].y - points[i].y);
    total += sum / (q.size() - first);
  }
  return total / 4 / shift;
}

}  // namespace

double box_following(const cv::Mat& bgr, const LandmarkPredictor& predictor, const FaceBox& box,
                     const Landmarks68& points) {
  return mean_following([&](const FaceBox& b) { return predictor.predict(bgr, b); }, box, points);
}

PriorBoxFit fit_landmarks_in_prior_box(const cv::Mat& bgr, const LandmarkPredictor& predictor, const FaceBox& start,
                                       int max_iterations) {
  // The box of a face that fills the photo reaches past its edge, where dlib's predictor reads black.
  int pad = 0;
  const cv::Mat padded = pad_replicated(bgr, &pad);
  const Predict predict = [&](FaceBox b) {
    b.x += pad;
    b.y += pad;
    Landmarks68 p = predictor.predict(padded, b);
    for (Point2f& q : p) {
      q.x -= pad;
      q.y -= pad;
    }
    return p;
  };
  PriorBoxFit fit;
  fit.box = start;
  FaceBox next = start;
  for (int i = 0; i < std::max(1, max_iterations); ++i) {
    fit.box = next;
    fit.points = predict(fit.box);
    fit.iterations = i + 1;
    // A collapsed shape (all points together) has no box to re-draw.
    if (!implausible_landmarks(fit.points, bgr.cols, bgr.rows).empty()) break;
    next = hog_box_from_landmarks(fit.points);
    const double moved = std::max({std::abs(next.x - fit.box.x), std::abs(next.y - fit.box.y),
                                   std::abs(next.w - fit.box.w)});
    if (moved < 0.02 * fit.box.w) break;
  }
  fit.reason = implausible_landmarks(fit.points, bgr.cols, bgr.rows);
  if (fit.reason.empty()) {
    const double iou = box_iou(fit.box, hog_box_from_landmarks(fit.points));
    if (iou < 0.6) {
      fit.reason = fmt::format("the points did not settle in the box (overlap {:.2f} after {} predictions)", iou,
                               fit.iterations);
    }
  }
  if (fit.reason.empty()) {
    fit.box_following = mean_following(predict, fit.box, fit.points);
    if (fit.box_following > kMaxBoxFollowing) {
      fit.reason = fmt::format("the points follow the box, not the image (box following {:.2f}, at most {} for a face)",
                               fit.box_following, kMaxBoxFollowing);
    }
  }
  fit.ok = fit.reason.empty();
  return fit;
}

}  // namespace fv
