// The prior-box fallback for photos in which the detector finds no face: the 68-point model is run in a box
// where the face usually is (the centred square of align.prior_box times the shorter side), the box is
// re-drawn from the points the way dlib's HOG detector draws it around such a face, and the points are
// predicted again until the box settles. The points are kept only if they look like a face.
#pragma once

#include <opencv2/core.hpp>

#include <string>

#include "core/landmarks.h"
#include "face/face_detector.h"
#include "face/landmark_predictor.h"

namespace fv {

// `bgr` with a replicated border of a quarter of its longer side on every side (*pad set to that width): the
// face of a photo it fills (AT&T, tight crops) then has the margin dlib's HOG window and the landmark model's
// features need (the model reads black beyond the photo).
cv::Mat pad_replicated(const cv::Mat& bgr, int* pad);

// The centred square whose side is `relative_size` times the shorter image side (relative_size in (0, 1]).
FaceBox centred_prior_box(int image_width, int image_height, double relative_size);

// The box dlib's HOG detector draws around a face with these 68 points: centred on the eye midpoint moved
// kHogBoxCentre of the way towards the mouth midpoint, with side kHogBoxSide times the mean of the eye
// distance and the eye-to-mouth distance. The constants are the medians measured on the HOG detections of
// the shared real photographs (docs/face-alignment.md).
FaceBox hog_box_from_landmarks(const Landmarks68& points);
inline constexpr double kHogBoxCentre = 0.49;
inline constexpr double kHogBoxSide = 2.35;

// Empty when the points are a plausible face in an image_width x image_height photo, else why not (eyes
// under 8 px apart, the mouth not below the eyes, the face's height-to-width ratio outside what real faces
// show, points far outside the image).
std::string implausible_landmarks(const Landmarks68& points, int image_width, int image_height);

// How much the landmarks follow the box rather than the image: the mean displacement of the 51 inner points
// (brows, nose, eyes, mouth) when the box is shifted by kBoxFollowingShift of its side (left, right, up,
// down), over that shift. On a face the model's cascade pulls the points back onto the eyes, nose and mouth;
// on a wall, a dog or a blank photo the points move with the box (about 1). On the shared photos' 728 HOG
// detections: median 0.09, 99th percentile 0.32; dlib's dogs.jpg 0.88 (docs/face-alignment.md).
double box_following(const cv::Mat& bgr, const LandmarkPredictor& predictor, const FaceBox& box,
                     const Landmarks68& points);
inline constexpr double kBoxFollowingShift = 0.05;
inline constexpr double kMaxBoxFollowing = 0.5;

struct PriorBoxFit {
  bool ok = false;
  Landmarks68 points{};
  FaceBox box;               // the last box the points were predicted in
  int iterations = 0;        // predictions made to settle the box
  double box_following = 1;  // see box_following (1 when not measured)
  std::string reason;        // why the fit was rejected (empty when ok)
};

// Predicts the 68 points in `start`, then again in hog_box_from_landmarks of the result, up to
// `max_iterations` predictions or until the box moves less than 2 % of its side. ok when the last points
// pass implausible_landmarks, the last box agrees with the points (intersection over union >= 0.6) and the
// points stay on the image's features when the box moves (box_following <= kMaxBoxFollowing).
PriorBoxFit fit_landmarks_in_prior_box(const cv::Mat& bgr, const LandmarkPredictor& predictor, const FaceBox& start,
                                       int max_iterations = 4);

// Intersection over union of two boxes (0 when either is empty).
double box_iou(const FaceBox& a, const FaceBox& b);

}  // namespace fv
