// Draws one synthetic face image (identity under a variation) with OpenCV, supersampled, and returns it
// with its exact ground truth.
#pragma once

#include <opencv2/core.hpp>

#include <array>

#include "core/landmarks.h"
#include "synth/face_model.h"
#include "synth/synth_config.h"

namespace fv::synth {

struct RenderedFace {
  cv::Mat image;        // CV_8UC3 BGR, cfg.width x cfg.height, before JPEG encoding
  Landmarks68 points;   // where the features were drawn, output pixel coordinates (pixel centres at integers)
  Landmarks5 five;      // five_from_68(points): the iris/pupil is drawn centred on each eye centre
  std::array<float, 4> box{};  // x, y, w, h: bounding box of the 68 points
};

// Requires a validated cfg. Deterministic: same inputs, same pixels (any thread).
RenderedFace render_face(const SynthConfig& cfg, const Identity& id, const Variation& v);

}  // namespace fv::synth
