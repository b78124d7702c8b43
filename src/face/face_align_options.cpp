// Binding and validation of the shared face-alignment keys ([detect], [landmarks], [align]).
#include "face/face_align_options.h"

#include <cmath>

#include "core/check.h"

namespace fv {

const EnumNames<MultiFacePolicy>& multi_face_policy_names() {
  static const EnumNames<MultiFacePolicy> names{{"prominent", MultiFacePolicy::kProminent},
                                                {"largest", MultiFacePolicy::kLargest},
                                                {"center", MultiFacePolicy::kCenter},
                                                {"score", MultiFacePolicy::kScore},
                                                {"all", MultiFacePolicy::kAll},
                                                {"reject", MultiFacePolicy::kReject}};
  return names;
}

const EnumNames<NoFacePolicy>& no_face_policy_names() {
  static const EnumNames<NoFacePolicy> names{{"skip", NoFacePolicy::kSkip},
                                             {"prior_box", NoFacePolicy::kPriorBox},
                                             {"center_crop", NoFacePolicy::kCenterCrop},
                                             {"prior_box_then_crop", NoFacePolicy::kPriorBoxThenCrop}};
  return names;
}

void FaceAlignOptions::bind(OptionSet& o) {
  o.add_enum("detect.detector", &detector, detector_kind_names(),
             "hog: dlib HOG (no model file); haar: OpenCV cascade; mmod: dlib CNN (detect.model); yunet: OpenCV YuNet (detect.model)");
  o.add("detect.upsample", &upsample, "hog/mmod: double the image this many times before detecting (finds faces under ~80 px)");
  o.add("detect.threshold", &threshold, "hog/mmod: dlib adjust_threshold (higher = fewer faces); haar: minimum level weight");
  o.add("detect.yunet_score", &yunet_score, "yunet: minimum face score");
  o.add("detect.model", &detector_model, "mmod/yunet model file; haar cascade XML (default: Debian opencv-data's frontalface_default)");
  o.add("detect.haar_min_neighbors", &haar_min_neighbors, "haar: minNeighbors of detectMultiScale");
  o.add("detect.max_side", &max_side, "> 0: detect on a copy downscaled to this longer side (faster on large photos)");
  o.add("detect.min_face", &min_face, "ignore detections whose box is smaller than this (pixels)");
  o.add_enum("detect.policy", &policy, multi_face_policy_names(),
             "several faces: prominent (largest area - 2 x squared offset from the image centre, insightface's rule), "
             "largest, center, score, all, or reject (several_faces)");
  o.add("landmarks.model", &landmark_model, "dlib 68-point shape predictor (default: found in /usr/share/dlib)");
  o.add_enum("align.template", &template_kind, template_kind_names(), "5-point target template");
  o.add("align.template_file", &template_file, "template file for align.template=file ('width height' then five 'x y')");
  o.add("align.width", &width, "output width (0: the template's in fv-align, the model's input in fv-verify; the template is scaled)");
  o.add("align.height", &height, "output height (0: as align.width)");
  o.add_enum("align.no_face", &no_face, no_face_policy_names(),
             "no face detected: prior_box (68 landmarks in the centred prior box, status prior_box), center_crop "
             "(status no_face_cropped), prior_box_then_crop (the crop when the prior-box landmarks are not a face), "
             "or skip (status no_face)");
  o.add("align.prior_box", &prior_box, "side of the centred prior box over the shorter image side, in (0, 1]");
  o.add("align.weights", &weights,
        "least-squares weight of each landmark (left eye, right eye, nose, left mouth, right mouth) in the fit");
}

void FaceAlignOptions::validate() const {
  FV_CHECK(upsample >= 0 && upsample <= 4, ConfigError, "detect.upsample must be in [0, 4], got {}", upsample);
  FV_CHECK(max_side >= 0 && min_face >= 0, ConfigError, "detect.max_side and detect.min_face must be >= 0");
  FV_CHECK((detector != DetectorKind::kMmod && detector != DetectorKind::kYunet) || !detector_model.empty(), ConfigError,
           "detect.model: required by detect.detector={}", enum_name(detector_kind_names(), detector));
  FV_CHECK(template_kind != TemplateKind::kFile || !template_file.empty(), ConfigError,
           "align.template_file: required by align.template=file");
  FV_CHECK(width >= 0 && height >= 0 && width <= 4096 && height <= 4096, ConfigError,
           "align.width/align.height must be in [0, 4096], got {}x{}", width, height);
  FV_CHECK(prior_box > 0 && prior_box <= 1, ConfigError, "align.prior_box must be in (0, 1], got {}", prior_box);
  fit_weights();
}

std::vector<double> FaceAlignOptions::fit_weights() const {
  FV_CHECK_EQ(weights.size(), std::size_t(5), ConfigError, "align.weights: give five numbers");
  std::vector<double> out;
  double sum = 0;
  for (const auto& w : weights) {
    const double v = parse_value<double>("align.weights", w);
    FV_CHECK(v >= 0 && std::isfinite(v), ConfigError, "align.weights: '{}' must be a finite number >= 0", w);
    out.push_back(v);
    sum += v;
  }
  FV_CHECK(sum > 0, ConfigError, "align.weights: the weights sum to 0");
  return out;
}

DetectorOptions FaceAlignOptions::detector_options() const {
  DetectorOptions d;
  d.kind = detector;
  d.upsample = upsample;
  d.threshold = detector == DetectorKind::kYunet ? yunet_score : threshold;
  d.model = detector_model;
  d.haar_min_neighbors = haar_min_neighbors;
  d.max_side = max_side;
  return d;
}

FaceTemplate template_from_config(const FaceAlignOptions& options, int default_width, int default_height) {
  const FaceTemplate base = options.template_kind == TemplateKind::kFile ? read_template_file(options.template_file)
                                                                           : builtin_template(options.template_kind);
  return resize_template(base, options.width > 0 ? options.width : default_width,
                         options.height > 0 ? options.height : default_height);
}

}  // namespace fv
