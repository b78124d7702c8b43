// Test images for the decode and loader benchmarks: a face-sized photo crop (or a synthetic stand-in) and a
// libjpeg encoder, so that the benchmarks need neither OpenCV nor files outside the build.
#pragma once

#include <cstdint>
#include <string>

#include "core/image_codec.h"

namespace fv::bench {

// A size x size RGB image: a tiled crop of OpenCV's messi5.jpg when opencv-doc is installed (the figures in
// the README use it), else a deterministic synthetic picture (gradients, discs and noise with fixed seed)
// whose JPEG size is similar. `variant` shifts the brightness so that records differ. Requires size > 0.
RgbImage bench_image(int size, int variant = 0);

// Encodes `image` as a baseline JPEG (4:2:0, libjpeg defaults) at `quality` (1..100).
// Throws FormatError when libjpeg fails.
std::string encode_jpeg(const RgbImage& image, int quality);

// Where bench_image came from, for the benchmark output ("messi5.jpg crop" or "synthetic").
std::string bench_image_origin();

}  // namespace fv::bench
