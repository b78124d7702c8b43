// Names of the detector kinds (detect.detector).
#include "face/detector_options.h"

namespace fv {

const EnumNames<DetectorKind>& detector_kind_names() {
  static const EnumNames<DetectorKind> names{{"hog", DetectorKind::kHog},
                                             {"haar", DetectorKind::kHaar},
                                             {"mmod", DetectorKind::kMmod},
                                             {"yunet", DetectorKind::kYunet}};
  return names;
}

}  // namespace fv
