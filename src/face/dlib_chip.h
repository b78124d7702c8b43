// dlib's face-chip geometry (get_face_chip_details + extract_image_chip), reproduced exactly.
#pragma once

#include <array>

#include "core/landmarks.h"
#include "face/similarity.h"

namespace fv {

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
