// fv-align's per-input step: the decoded photo through align_face, each result a manifest row.
#include "align/face_aligner.h"

#include <fmt/format.h>

#include <filesystem>
#include <system_error>

#include "core/logging.h"
#include "face/image_io.h"

namespace fv {

FaceAligner::FaceAligner(const AlignConfig& config, FaceTemplate target, std::unique_ptr<FaceDetector> detector,
                         std::shared_ptr<const LandmarkPredictor> predictor)
    : config_(config), context_(config, std::move(target), std::move(detector), std::move(predictor)) {}

ManifestRow FaceAligner::base_row(const InputItem& item) const {
  ManifestRow r;
  r.input = item.path;
  r.line = item.line;
  r.label = item.label;
  r.identity = item.identity;
  return r;
}

std::vector<AlignOutput> FaceAligner::process(const InputItem& item) {
  namespace fs = std::filesystem;
  auto problem_row = [&](AlignStatus status, std::string detail) {
    AlignOutput f;
    f.row = base_row(item);
    f.row.status = status;
    f.row.detail = std::move(detail);
    log::warn("'{}': {} (status {})", item.path, f.row.detail, status_name(status));
    return std::vector<AlignOutput>{f};
  };
  if (!item.problem.empty()) return problem_row(item.problem_status, item.problem);
  // Only regular files are opened: a FIFO would block the reader and a device such as /dev/zero never ends.
  // (A missing file is left to the decoder, which names it status missing.)
  std::error_code ec;
  const fs::file_status st = fs::status(item.path, ec);
  if (ec && ec != std::errc::no_such_file_or_directory) {
    return problem_row(AlignStatus::kUnreadable,
                       ec == std::errc::too_many_symbolic_link_levels
                           ? "symbolic link loop"
                           : fmt::format("cannot look up the file: {}", ec.message()));
  }
  if (!ec && !fs::is_regular_file(st)) {
    return problem_row(AlignStatus::kUnreadable, fmt::format("{}, not read", file_type_name(st.type())));
  }
  const DecodedImage decoded = decode_image_file(item.path, config_.decode_limits());
  if (decoded.status != DecodeStatus::kOk) {
    AlignOutput f;
    f.row = base_row(item);
    switch (decoded.status) {
      case DecodeStatus::kMissing: f.row.status = AlignStatus::kMissing; break;
      case DecodeStatus::kTruncated: f.row.status = AlignStatus::kTruncated; break;
      case DecodeStatus::kTooLarge: f.row.status = AlignStatus::kTooLarge; break;
      case DecodeStatus::kTooSmall: f.row.status = AlignStatus::kTooSmall; break;
      default: f.row.status = AlignStatus::kUnreadable; break;
    }
    f.row.detail = decoded.detail;
    return {f};
  }
  return process_image(item, decoded.bgr);
}

namespace {

void put_box(const FaceBox& box, ManifestRow& row) {
  row.has_box = true;
  row.x = box.x;
  row.y = box.y;
  row.w = box.w;
  row.h = box.h;
}

}  // namespace

std::vector<AlignOutput> FaceAligner::process_image(const InputItem& item, const cv::Mat& bgr) {
  auto encode = [&](const cv::Mat& img) {
    return encode_image(img, config_.format, config_.jpeg_quality, config_.png_compression);
  };
  FaceHint hint;
  hint.has_box = item.has_box;
  hint.box = item.box;
  hint.has_landmarks = item.has_landmarks;
  hint.landmarks = item.landmarks;
  // A given box that does not overlap the image at all would be warped into a black face reported ok.
  // (A box partly outside is fine: the warp fills the outside with black, as for a face at the border.)
  if (item.has_box && (item.box.x >= bgr.cols || item.box.y >= bgr.rows || item.box.x + item.box.w <= 0 ||
                       item.box.y + item.box.h <= 0)) {
    AlignOutput f;
    f.row = base_row(item);
    f.row.status = AlignStatus::kBoxOutsideImage;
    put_box(item.box, f.row);
    f.row.detail = fmt::format("the list's box {} {} {} {} lies entirely outside the {}x{} image", item.box.x,
                               item.box.y, item.box.w, item.box.h, bgr.cols, bgr.rows);
    log::warn("'{}' line {}: {} (status {})", item.path, item.line, f.row.detail, status_name(f.row.status));
    return {f};
  }
  const FaceAlignResult result = align_face(bgr, context_, hint);

  if (result.status != FaceAlignStatus::kOk) {
    AlignOutput f;
    f.row = base_row(item);
    if (result.status == FaceAlignStatus::kSeveralFaces) {
      f.row.status = AlignStatus::kSeveralFaces;
      f.row.detail = fmt::format("{} faces detected", result.detections);
    } else if (!result.faces.empty() && result.faces.front().source == FaceSource::kPriorBox) {
      const AlignedFace& face = result.faces.front();
      f.row.status = AlignStatus::kPriorBox;
      f.row.detail = "no face detected; aligned from the landmarks found in the prior box";
      put_box(face.box, f.row);
      f.row.has_landmarks = true;
      f.row.landmarks = face.landmarks;
      f.encoded = encode(face.bgr);
    } else {
      f.row.status = result.faces.empty() ? AlignStatus::kNoFace : AlignStatus::kNoFaceCropped;
      f.row.detail = (result.faces.empty() ? "no face detected" : "no face detected; centre crop written") +
                     result.prior_box_note();
      if (!result.faces.empty()) f.encoded = encode(result.faces.front().bgr);
    }
    return {f};
  }
  std::vector<AlignOutput> out;
  for (std::size_t k = 0; k < result.faces.size(); ++k) {
    const AlignedFace& face = result.faces[k];
    AlignOutput f;
    f.row = base_row(item);
    f.row.status = AlignStatus::kOk;
    f.row.has_landmarks = true;
    f.row.landmarks = face.landmarks;
    if (item.has_landmarks) {
      f.row.detail = "given landmarks";
    } else {
      f.row.face = static_cast<int>(k);
      f.row.faces = static_cast<int>(result.faces.size());
      put_box(face.box, f.row);
      f.row.has_score = !item.has_box;
      f.row.score = face.box.score;
      if (result.detections > 1) f.row.detail = fmt::format("{} faces detected", result.detections);
      if (result.padded_detection) {
        f.row.detail += std::string(f.row.detail.empty() ? "" : "; ") + "detected on the photo with a replicated border";
      }
    }
    f.encoded = encode(face.bgr);
    out.push_back(std::move(f));
  }
  return out;
}

}  // namespace fv
