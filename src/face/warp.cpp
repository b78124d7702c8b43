// Similarity warps of a photo onto a template or dlib's chip, and the centre crop.
#include "face/warp.h"

#include <opencv2/imgproc.hpp>

#include <algorithm>
#include <cmath>

#include "face/dlib_chip.h"

namespace fv {

cv::Mat warp_similarity(const cv::Mat& bgr, const Similarity& t, int width, int height) {
  const auto m = t.matrix();
  const cv::Mat matrix = (cv::Mat_<double>(2, 3) << m[0], m[1], m[2], m[3], m[4], m[5]);
  cv::Mat out;
  cv::warpAffine(bgr, out, matrix, cv::Size(width, height), cv::INTER_LINEAR, cv::BORDER_CONSTANT, cv::Scalar::all(0));
  return out;
}

cv::Mat warp_to_template(const cv::Mat& bgr, const Landmarks5& points, const FaceTemplate& target,
                         const std::vector<double>& weights, Similarity* transform) {
  const Similarity t = fit_similarity(points, target.points, weights);
  if (transform) *transform = t;
  return warp_similarity(bgr, t, target.width, target.height);
}

cv::Mat warp_dlib_chip(const cv::Mat& bgr, const Landmarks68& points, int size, Similarity* transform) {
  const Similarity t = dlib_chip_transform(points, size);
  if (transform) *transform = t;
  return warp_similarity(bgr, t, size, size);
}

cv::Mat center_crop(const cv::Mat& bgr, int width, int height) {
  const double aspect = static_cast<double>(width) / height;
  int w = bgr.cols, h = bgr.rows;
  if (static_cast<double>(w) / h > aspect) {
    w = std::max(1, static_cast<int>(std::lround(h * aspect)));
  } else {
    h = std::max(1, static_cast<int>(std::lround(w / aspect)));
  }
  const cv::Rect roi((bgr.cols - w) / 2, (bgr.rows - h) / 2, w, h);
  cv::Mat out;
  cv::resize(bgr(roi), out, cv::Size(width, height), 0, 0, cv::INTER_AREA);
  return out;
}

}  // namespace fv
