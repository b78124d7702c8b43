// The alignment manifest: one CSV row per input (per face with detect.policy=all), appended crash-safely.
//
// Columns (RFC 4180 CSV, header line written by shard 0 only so that shard files concatenate):
//   input      the file read (as enumerated; a folder or link that could not be read)   line   list line or 0
//   status     ok | no_face | no_face_cropped | several_faces | unreadable | truncated | too_small |
//              too_large | missing | error | box_outside_image (a list's box that does not overlap the image) |
//              prior_box (nothing detected; aligned from the landmarks found in the prior box)
//   face       index of this face among the input's rows (0-based)   faces  number of rows of this input
//   label      identity index (sorted identity names)                identity  identity name
//   x,y,w,h    face box in input pixels (empty without a face)       score  detector score (empty if given)
//   le_x,le_y,re_x,re_y,no_x,no_y,lm_x,lm_y,rm_x,rm_y   the 5 landmarks in input pixels (core/landmarks.h)
//   output     aligned image path relative to output.dir (empty when none was written)
//   record     RecordIO key of the face (-1 when none)               detail  why (for non-ok rows)
#pragma once

#include <cstdint>
#include <cstdio>
#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/landmarks.h"

namespace fv {

enum class AlignStatus {
  kOk,
  kNoFace,
  kNoFaceCropped,
  kSeveralFaces,
  kUnreadable,
  kTruncated,
  kTooSmall,
  kTooLarge,
  kMissing,
  kError,
  kBoxOutsideImage,
  kPriorBox
};
const char* status_name(AlignStatus s);
// Throws FormatError for an unknown name.
AlignStatus parse_status(const std::string& name);
inline constexpr int kStatusCount = 12;

struct ManifestRow {
  std::string input;
  int line = 0;
  AlignStatus status = AlignStatus::kError;
  int face = 0;
  int faces = 1;
  int label = 0;
  std::string identity;
  bool has_box = false;
  float x = 0, y = 0, w = 0, h = 0;
  bool has_score = false;
  float score = 0;
  bool has_landmarks = false;
  Landmarks5 landmarks{};
  std::string output;
  std::int64_t record = -1;
  std::string detail;

  // Resume key: input, plus "#line" for list items (matches InputItem::key).
  std::string key() const;
};

std::string manifest_header();
std::string to_csv_line(const ManifestRow& row);  // ends with '\n'
// Parses one line (without '\n'); throws FormatError naming `file` and `line_no`.
ManifestRow parse_manifest_line(const std::string& text, const std::string& file, int line_no);

// What a manifest already holds, read for resuming.
struct ManifestState {
  std::vector<ManifestRow> rows;     // complete inputs only
  std::uint64_t valid_bytes = 0;     // file length covering exactly `rows` (the rest is a torn tail)
  std::uint64_t records = 0;         // RecordIO records listed (max record + 1)
  bool has_header = false;
};
// Reads a manifest; a missing file gives an empty state. Rows of an input are complete when all `faces`
// of them are present; a torn last line or an incomplete last input is left out of valid_bytes.
// Throws FormatError naming file and line for malformed lines before the tail.
ManifestState read_manifest(const std::filesystem::path& path);

// Appends rows to the manifest; each append() is one write + flush, so a kill leaves at most one torn
// tail that read_manifest() discards.
class ManifestWriter {
 public:
  // Truncates the file to `valid_bytes` first (dropping a torn tail), writes the header if requested.
  ManifestWriter(const std::filesystem::path& path, std::uint64_t valid_bytes, bool write_header);
  ~ManifestWriter();
  ManifestWriter(const ManifestWriter&) = delete;
  ManifestWriter& operator=(const ManifestWriter&) = delete;
  void append(const std::vector<ManifestRow>& rows);

 private:
  std::filesystem::path path_;
  std::FILE* file_ = nullptr;
};

// Counts of rows per status (by status name, every status present) and of distinct inputs.
struct StatusCounts {
  std::map<std::string, std::uint64_t> rows;
  std::uint64_t inputs = 0;
};
StatusCounts count_statuses(const std::vector<ManifestRow>& rows);

}  // namespace fv
