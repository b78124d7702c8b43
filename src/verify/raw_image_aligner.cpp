// On-the-fly alignment for fv-verify: fv-align's HOG detector, dlib landmarks and template warp (vision
// builds, FV_VERIFY_RAW_ALIGN), or a stub that explains how to get it.
#include "verify/raw_image_aligner.h"

#include <fmt/format.h>

#include "core/check.h"
#include "core/error.h"

#if FV_VERIFY_RAW_ALIGN
#include "verify/raw_image_aligner_vision.h"
#endif

namespace fv {

const EnumNames<RawAlign>& raw_align_names() {
  static const EnumNames<RawAlign> names{{"none", RawAlign::kNone}, {"auto", RawAlign::kAuto}};
  return names;
}

const EnumNames<RawAlignTemplate>& raw_align_template_names() {
  static const EnumNames<RawAlignTemplate> names{{"arcface", RawAlignTemplate::kArcface},
                                                 {"sphereface", RawAlignTemplate::kSphereface},
                                                 {"dlib_chip", RawAlignTemplate::kDlibChip}};
  return names;
}

#if FV_VERIFY_RAW_ALIGN

namespace {

class VisionAligner : public RawImageAligner {
 public:
  explicit VisionAligner(const RawAlignOptions& o)
      : options_(o),
        warper_(vision::FaceWarper::create(static_cast<int>(o.templ), o.upsample, o.landmark_model, o.width,
                                           o.height)) {}

  RgbImage align(const std::string& path) override {
    RgbImage out;
    if (!warper_->align(path, &out.width, &out.height, &out.pixels)) {
      throw DataError(fmt::format("'{}': no face found (dlib HOG, verify.align_upsample = {}); raise "
                                  "verify.align_upsample for small faces, or give an aligned image with verify.align = none",
                                  path, options_.upsample));
    }
    return out;
  }

 private:
  RawAlignOptions options_;
  std::unique_ptr<vision::FaceWarper> warper_;
};

}  // namespace

bool raw_alignment_available() { return true; }

std::unique_ptr<RawImageAligner> make_raw_image_aligner(const RawAlignOptions& options) {
  FV_CHECK(options.width > 0 && options.height > 0, ConfigError, "raw alignment needs a positive size, got {}x{}",
           options.width, options.height);
  FV_CHECK_GE(options.upsample, 0, ConfigError, "verify.align_upsample must not be negative");
  return std::make_unique<VisionAligner>(options);
}

#else

bool raw_alignment_available() { return false; }

std::unique_ptr<RawImageAligner> make_raw_image_aligner(const RawAlignOptions&) {
  throw ConfigError(
      "verify.align = auto needs the align stage, which this build lacks (configured with FV_WITH_VISION=OFF); "
      "align the photos with fv-align first and use verify.align = none");
}

#endif

}  // namespace fv
