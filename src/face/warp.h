// Warping a photo into an aligned face: the 5-point similarity fit onto a template, dlib's exact chip from
// 68 points, and the centre crop used when no face is found.
#pragma once

#include <opencv2/core.hpp>

#include <vector>

#include "core/landmarks.h"
#include "face/face_template.h"
#include "face/similarity.h"

namespace fv {

// Samples `bgr` through the image -> output transform `t` into a width x height image: bilinear, pixels
// outside the photo 0 (as insightface's norm_crop). Requires an 8-bit image and a positive size.
cv::Mat warp_similarity(const cv::Mat& bgr, const Similarity& t, int width, int height);

// Warps `bgr` so that `points` (5-point order of core/landmarks.h) land on `target`'s points (weighted least
// squares, see fit_similarity; empty weights = insightface's unweighted fit); output target.width x
// target.height. Stores the transform used in *transform when given. Throws DataError for degenerate points.
cv::Mat warp_to_template(const cv::Mat& bgr, const Landmarks5& points, const FaceTemplate& target,
                         const std::vector<double>& weights = {}, Similarity* transform = nullptr);

// dlib's face chip: size x size, padding 0.25, from the 68 points (dlib order) with dlib_chip_transform's
// exact geometry. Stores the transform in *transform when given. Throws as dlib_chip_transform.
cv::Mat warp_dlib_chip(const cv::Mat& bgr, const Landmarks68& points, int size, Similarity* transform = nullptr);

// The largest centred crop with the aspect ratio width:height, resized (area interpolation) to that size.
cv::Mat center_crop(const cv::Mat& bgr, int width, int height);

}  // namespace fv
