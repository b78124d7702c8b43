// fv-verify's on-the-fly alignment of raw photos: the face library's decoding and align_face, configured by
// the same [detect], [landmarks] and [align] keys as fv-align, so that a photo gives the aligned pixels
// fv-align writes for it. The interface is free of OpenCV and dlib so that the build without FV_WITH_VISION
// compiles it too; there make_raw_image_aligner throws ConfigError.
#pragma once

#include <memory>
#include <string>

#include "core/image_codec.h"
#include "core/options.h"
#include "face/face_align_options.h"

namespace fv {

// verify.align: none = images are already aligned (resized to the model input); auto = detect and align.
enum class RawAlign { kNone, kAuto };
const EnumNames<RawAlign>& raw_align_names();

struct RawAlignOptions {
  FaceAlignOptions face;  // as fv-align reads them (align.width/height 0: the model's input size below)
  int model_width = 112;  // the model's input size
  int model_height = 112;
};

class RawImageAligner {
 public:
  virtual ~RawImageAligner() = default;
  // Decodes the photo at `path` as fv-align does (face/image_io.h: EXIF orientation applied, GIF's first
  // frame, fv-align's default input limits) and aligns it with align_face. Ensures: an RGB image of the
  // template's size, pixel for pixel what fv-align writes for the photo as PNG. With align.no_face =
  // center_crop a photo without a face gives its centre crop (and a warning in the log).
  // Throws IoError naming the file when it cannot be read, FormatError naming it when it cannot be decoded
  // (with the decoder's reason: truncated, too large, ...), DataError naming it when no face is found (and
  // align.no_face = skip) or when several are and detect.policy = reject.
  virtual RgbImage align(const std::string& path) = 0;
};

// True when this build has the face library's vision half (FV_WITH_VISION).
bool raw_alignment_available();

// Loads the detector and the landmark model (~100 MB, about a second). Throws ConfigError in a build
// without FV_WITH_VISION, for options that do not validate, or for detect.policy = all (fv-verify compares
// one face per image); ConfigError/IoError naming the landmark model when it is missing.
std::unique_ptr<RawImageAligner> make_raw_image_aligner(const RawAlignOptions& options);

}  // namespace fv
