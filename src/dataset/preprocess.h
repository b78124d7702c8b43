// Turning a decoded image into a model input: resize, colour, normalisation, and training augmentation.
#pragma once

#include <cstdint>

#include "core/image_codec.h"
#include "core/preprocess_options.h"

namespace fv {

struct AugmentOptions {
  bool flip = false;     // mirror horizontally with probability 1/2
  int crop_padding = 0;  // random translation by up to this many pixels, zero-filled (pad-and-crop)
};

// Writes channels x height x width floats to `out`. The image is resized bilinearly (pixel centres aligned,
// as OpenCV's INTER_LINEAR) when its size differs. `flip` mirrors; (shift_x, shift_y) translate the result.
void preprocess_into(const RgbImage& image, const PreprocessOptions& options, float* out, bool flip = false,
                     int shift_x = 0, int shift_y = 0);

// Bilinear resize of an RGB image (used by preprocess_into and by tools that need a plain resize).
RgbImage resize_bilinear(const RgbImage& image, int width, int height);

}  // namespace fv
