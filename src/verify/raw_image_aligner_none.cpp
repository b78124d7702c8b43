// verify.align = auto in a build without the vision libraries (FV_WITH_VISION=OFF): an error saying what to do.
#include "core/error.h"
#include "verify/raw_image_aligner.h"

namespace fv {

bool raw_alignment_available() { return false; }

std::unique_ptr<RawImageAligner> make_raw_image_aligner(const RawAlignOptions&) {
  throw ConfigError(
      "verify.align = auto needs the face library's vision half, which this build lacks (configured with "
      "FV_WITH_VISION=OFF); align the photos with fv-align first and use verify.align = none");
}

}  // namespace fv
