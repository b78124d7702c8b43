// verify.align names (every build).
#include "verify/raw_image_aligner.h"

namespace fv {

const EnumNames<RawAlign>& raw_align_names() {
  static const EnumNames<RawAlign> names{{"none", RawAlign::kNone}, {"auto", RawAlign::kAuto}};
  return names;
}

}  // namespace fv
