// The face-alignment options fv-align and fv-verify share: the [detect], [landmarks] and [align] keys, bound
// once. Free of OpenCV and dlib, so that fv-verify accepts the same keys in builds without them.
#pragma once

#include <string>
#include <vector>

#include "core/options.h"
#include "face/detector_options.h"
#include "face/face_template.h"

namespace fv {

// detect.policy: which of several detected faces are aligned. kProminent is insightface's ranking (its
// RetinaFace/SCRFD detect(max_num) and FaceNet's align_dataset_mtcnn): the largest of
// `area - 2 * squared distance of the box centre from the image centre`.
enum class MultiFacePolicy { kProminent, kLargest, kCenter, kScore, kAll, kReject };
// align.no_face: what a photo in which no face is detected gives. kPriorBox: landmarks found in the prior
// box (face/prior_box.h), nothing when they do not look like a face; kPriorBoxThenCrop: the same, then the
// centre crop; kCenterCrop: the centre crop, not aligned; kSkip: nothing.
enum class NoFacePolicy { kSkip, kPriorBox, kCenterCrop, kPriorBoxThenCrop };
const EnumNames<MultiFacePolicy>& multi_face_policy_names();
const EnumNames<NoFacePolicy>& no_face_policy_names();
// Whether align.no_face tries the prior box (prior_box, prior_box_then_crop).
inline bool uses_prior_box(NoFacePolicy p) { return p == NoFacePolicy::kPriorBox || p == NoFacePolicy::kPriorBoxThenCrop; }

struct FaceAlignOptions {
  // [detect]
  DetectorKind detector = DetectorKind::kHog;
  int upsample = 0;            // hog/mmod: times the photo is doubled before detection (1 finds ~40-px faces)
  double threshold = 0.0;      // hog/mmod: dlib adjust_threshold; haar: minimum level weight
  double yunet_score = 0.9;    // yunet: minimum score
  std::string detector_model;  // mmod/yunet model file; haar cascade ("" = Debian's default)
  int haar_min_neighbors = 3;
  int max_side = 0;            // > 0: detect on a copy whose longer side is at most this
  int min_face = 0;            // detections whose box is smaller than this (pixels) are ignored
  MultiFacePolicy policy = MultiFacePolicy::kProminent;

  // [landmarks]
  std::string landmark_model;  // "" = found automatically (find_landmark_model)

  // [align]
  TemplateKind template_kind = TemplateKind::kArcface;
  std::string template_file;
  int width = 0;  // output size; 0 = the caller's default (fv-align: the template's, fv-verify: the model's input)
  int height = 0;
  NoFacePolicy no_face = NoFacePolicy::kPriorBoxThenCrop;
  double prior_box = 0.5;  // side of the centred prior box over the shorter image side
  // Least-squares weight per landmark (5-point order). Eyes count 4x: dlib's mouth corners move with the
  // expression (a smile lifts them ~3 px in 112x112), the eye centres do not. "1 1 1 1 1" is
  // insightface's unweighted fit.
  std::vector<std::string> weights{"4", "4", "1", "1", "1"};

  // Binds detect.*, landmarks.model and align.* (in that order); the current values are the defaults.
  void bind(OptionSet& o);
  // Throws ConfigError naming the key for invalid values or combinations.
  void validate() const;

  DetectorOptions detector_options() const;
  // align.weights as numbers; throws ConfigError unless five finite numbers >= 0 with a positive sum.
  std::vector<double> fit_weights() const;
};

// The template `options` select (built-in, or align.template_file read now), scaled to align.width x
// align.height; where those are 0, to default_width x default_height; where those are 0 too, the template's
// native size. Throws as read_template_file and resize_template.
FaceTemplate template_from_config(const FaceAlignOptions& options, int default_width = 0, int default_height = 0);

}  // namespace fv
