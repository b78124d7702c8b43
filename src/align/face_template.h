// Reference 5-point templates that aligned faces are mapped onto (ArcFace, SphereFace, dlib chip, file).
#pragma once

#include <filesystem>
#include <string>

#include "align/similarity.h"
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
//              5 points (eye-contour means, point 30, points 48/54); dlib fits all 51 inner points, so
//              this is close to, not identical with, dlib's own chips.
// Requires kind != kFile.
FaceTemplate builtin_template(TemplateKind kind);

// A template file: text; '#' comments and blank lines ignored; first line "width height", then five
// lines "x y" in the 5-point order. Throws FormatError naming the file and line, IoError if unreadable.
FaceTemplate read_template_file(const std::filesystem::path& path);

// Scales a template to an output size (x by width/native width, y by height/native height);
// width or height 0 keeps the native value. Throws ConfigError for negative sizes.
FaceTemplate resize_template(const FaceTemplate& t, int width, int height);

// dlib's face-chip geometry, exactly: the image -> chip transform with which dlib 19.24 samples
// extract_image_chip(img, get_face_chip_details(shape, size, padding)) (dlib/image_transforms/interpolation.h).
// dlib fits, by least squares, its mean face placed at (padding + mean) / (2 padding + 1) * size onto the
// landmarks (68-point model: points 27-54 and 60-64, i.e. nose, eyes, outer lip and upper inner lip; the
// eyebrows, jaw and lower lip are ignored), keeps the fit's rotation and scale s and the image position c of
// the chip centre, and samples the square chip from the rectangle of side size*s - 1 centred on c, rotated,
// its corners mapped to chip pixels 0 and size-1. So the chip's scale is (size*s - 1)/(size - 1), not s.
// (dlib also pre-smooths with an image pyramid when a face is more than twice the chip size; that changes
// pixel values, not the geometry.) dlib's ResNet face descriptor (backbone dlib_resnet) expects these chips
// with size 150 and padding 0.25, as dnn_face_recognition_ex.cpp makes them.
// Requires size >= 2, padding >= 0 (ConfigError otherwise); DataError if the landmarks are degenerate.
Similarity dlib_chip_transform(const Landmarks68& points, int size = 150, double padding = 0.25);

// The same for dlib's own 5-point model (shape_predictor_5_face_landmarks.dat), in ITS order — not the
// project's 5-point order: 0 image-right eye outer corner, 1 image-right eye inner corner, 2 image-left eye
// outer corner, 3 image-left eye inner corner, 4 bottom of the nose.
Similarity dlib_chip_transform_dlib5(const Landmarks5& dlib_order_points, int size = 150, double padding = 0.25);

// dlib's mean face (dlib 19.24 get_face_chip_details), points 17-67 of the 68-point order, in [0, 1]
// chip coordinates before padding: (x, y) = mean_face[i - 17].
const std::array<Point2f, 51>& dlib_mean_face_17_67();

}  // namespace fv
