// fv-verify's on-the-fly alignment of raw photos (detector + 68 landmarks + similarity warp, as fv-align).
// The interface is free of OpenCV and dlib so that the build without FV_WITH_VISION compiles it too; there
// make_raw_image_aligner throws ConfigError.
#pragma once

#include <memory>
#include <string>

#include "core/image_codec.h"
#include "core/options.h"

namespace fv {

// verify.align: none = images are already aligned (resized to the model input); auto = detect and align.
enum class RawAlign { kNone, kAuto };
const EnumNames<RawAlign>& raw_align_names();

// The 5-point template the face is warped onto (fv-align's built-ins), scaled to the model's input size.
enum class RawAlignTemplate { kArcface, kSphereface, kDlibChip };
const EnumNames<RawAlignTemplate>& raw_align_template_names();

struct RawAlignOptions {
  RawAlignTemplate templ = RawAlignTemplate::kArcface;
  int upsample = 1;            // dlib HOG: times the photo is doubled before detection (1 finds ~40-px faces)
  std::string landmark_model;  // dlib 68-point model; "" = found as fv-align finds it
  int width = 112;             // output size: the model's input
  int height = 112;
};

class RawImageAligner {
 public:
  virtual ~RawImageAligner() = default;
  // Reads the photo at `path`, detects faces (dlib HOG), keeps the largest, fits the 68 landmarks, reduces
  // them to the 5 points (core/landmarks.h order) and warps the photo so that they land on the template
  // (fv-align's weighted fit: eyes 4x). Ensures: the result is width x height RGB.
  // Throws IoError/FormatError naming the file when it cannot be read or decoded, DataError naming the file
  // when no face is found.
  virtual RgbImage align(const std::string& path) = 0;
};

// True when this build has the align stage (FV_WITH_VISION).
bool raw_alignment_available();

// Loads the detector and the landmark model (~100 MB, about a second). Throws ConfigError in a build
// without FV_WITH_VISION or for a bad size, ConfigError/IoError naming the landmark model when it is missing.
std::unique_ptr<RawImageAligner> make_raw_image_aligner(const RawAlignOptions& options);

}  // namespace fv
