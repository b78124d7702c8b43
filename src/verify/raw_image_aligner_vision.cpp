// verify.align = auto: the face library's photo decoding and align_face, then BGR -> RGB for the embedder.
#include <opencv2/imgproc.hpp>

#include <fmt/format.h>

#include "core/check.h"
#include "core/error.h"
#include "core/logging.h"
#include "face/align_face.h"
#include "face/image_io.h"
#include "verify/raw_image_aligner.h"

namespace fv {
namespace {

class FaceLibraryAligner final : public RawImageAligner {
 public:
  explicit FaceLibraryAligner(const RawAlignOptions& o)
      : context_(FaceAlignContext::load(o.face, o.model_width, o.model_height)) {}

  RgbImage align(const std::string& path) override {
    // fv-align's default [input] limits: the same photos decode, or fail, in both executables.
    const DecodedImage decoded = decode_image_file(path, DecodeLimits{});
    if (decoded.status == DecodeStatus::kMissing) throw IoError(fmt::format("'{}': {}", path, decoded.detail));
    if (decoded.status != DecodeStatus::kOk) throw FormatError(fmt::format("'{}': {}", path, decoded.detail));
    const FaceAlignResult result = align_face(decoded.bgr, context_);
    const FaceAlignOptions& o = context_.options();
    if (result.status == FaceAlignStatus::kSeveralFaces) {
      throw DataError(fmt::format("'{}': {} faces detected and detect.policy = reject", path, result.detections));
    }
    if (result.faces.empty()) {
      throw DataError(fmt::format(
          "'{}': no face found (detect.detector = {}, detect.upsample = {}{}); raise detect.upsample for small faces, "
          "set align.no_face = prior_box_then_crop to compare the centre crop, or give an aligned image with "
          "verify.align = none",
          path, enum_name(detector_kind_names(), o.detector), o.upsample, result.prior_box_note()));
    }
    const AlignedFace& face = result.faces.front();
    if (face.source == FaceSource::kPriorBox) {
      log::warn("'{}': no face detected; comparing the face aligned from the landmarks found in the prior box", path);
    } else if (face.source == FaceSource::kCenterCrop) {
      log::warn("'{}': no face found; comparing its centre crop (align.no_face = {}){}", path,
                enum_name(no_face_policy_names(), o.no_face), result.prior_box_note());
    }
    RgbImage out;
    out.width = face.bgr.cols;
    out.height = face.bgr.rows;
    out.pixels.resize(static_cast<std::size_t>(out.width) * out.height * 3);
    cv::Mat rgb(out.height, out.width, CV_8UC3, out.pixels.data());
    cv::cvtColor(face.bgr, rgb, cv::COLOR_BGR2RGB);
    return out;
  }

 private:
  FaceAlignContext context_;
};

}  // namespace

bool raw_alignment_available() { return true; }

std::unique_ptr<RawImageAligner> make_raw_image_aligner(const RawAlignOptions& options) {
  FV_CHECK(options.model_width > 0 && options.model_height > 0, ConfigError,
           "raw alignment needs a positive model input size, got {}x{}", options.model_width, options.model_height);
  options.face.validate();
  FV_CHECK(options.face.policy != MultiFacePolicy::kAll, ConfigError,
           "detect.policy = all aligns every face, but fv-verify compares one face per image: use prominent, largest, center, "
           "score or reject");
  return std::make_unique<FaceLibraryAligner>(options);
}

}  // namespace fv
