// Reference 5-point templates that aligned faces are mapped onto (ArcFace, SphereFace, dlib chip, file).
#pragma once

#include <filesystem>
#include <string>

#include "core/landmarks.h"
#include "core/options.h"

namespace fv {

enum class TemplateKind { kArcface, kSphereface, kDlibChip, kFile };
const EnumNames<TemplateKind>& template_kind_names();

// Target positions of the 5 points (order of core/landmarks.h) in an output image of width x height.
struct FaceTemplate {
  int width = 0;
  int height = 0;
  Landmarks5 points{};
};

// The built-in template at its native size:
//   arcface    112x112, insightface's `arcface_dst`;
//   sphereface  96x112, the SphereFace / CosFace crop (arcface's points shifted 8 px left);
//   dlib_chip  150x150, dlib's get_face_chip_details(size 150, padding 0.25) mean face reduced to the
//              5 points (eye-contour means, point 30, points 48/54); dlib fits 33 of the 68 points, so
//              this is close to, not identical with, dlib's own chips (face/dlib_chip.h has the exact
//              geometry, which align_face uses whenever it has the 68 points).
// Requires kind != kFile.
FaceTemplate builtin_template(TemplateKind kind);

// A template file: text; '#' comments and blank lines ignored; first line "width height", then five
// lines "x y" in the 5-point order. Throws FormatError naming the file and line, IoError if unreadable.
FaceTemplate read_template_file(const std::filesystem::path& path);

// Scales a template to an output size (x by width/native width, y by height/native height);
// width or height 0 keeps the native value. Throws ConfigError for negative sizes.
FaceTemplate resize_template(const FaceTemplate& t, int width, int height);

}  // namespace fv
