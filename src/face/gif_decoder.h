// GIF decoding through giflib (OpenCV 4.6 has no GIF reader), for face/image_io.
#pragma once

#include <string_view>

#include "face/image_io.h"

namespace fv {

// Decodes the first frame of a GIF (an animated GIF gives its first frame; later frames are not read) to
// 8-bit BGR on a canvas of the logical screen size. Pixels the frame does not cover, and its transparent
// pixels, are black. Interlaced frames are de-interlaced.
// Ensures status kOk with `bgr` set, or: kTruncated when the data ends before the first frame is complete,
// kTooLarge when the frame exceeds limits.max_pixels, kUnreadable (with giflib's reason) otherwise. Never
// throws for bad content; the limits' min_size is left to the caller.
DecodedImage decode_gif(std::string_view bytes, const DecodeLimits& limits);

}  // namespace fv
