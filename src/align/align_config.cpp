// Binding and validation of fv-align's configuration keys.
#include "align/align_config.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>
#include <sstream>

#include "core/check.h"

namespace fv {

const EnumNames<MultiFacePolicy>& multi_face_policy_names() {
  static const EnumNames<MultiFacePolicy> names{{"largest", MultiFacePolicy::kLargest},
                                                {"center", MultiFacePolicy::kCenter},
                                                {"score", MultiFacePolicy::kScore},
                                                {"all", MultiFacePolicy::kAll},
                                                {"reject", MultiFacePolicy::kReject}};
  return names;
}

const EnumNames<NoFacePolicy>& no_face_policy_names() {
  static const EnumNames<NoFacePolicy> names{{"skip", NoFacePolicy::kSkip}, {"center_crop", NoFacePolicy::kCenterCrop}};
  return names;
}

void AlignConfig::bind(OptionSet& o) {
  o.add("input.path", &input, "image file, folder tree (identity folders, any depth) or list file");
  o.add_enum("input.kind", &input_kind,
             EnumNames<AlignInputKind>{{"auto", AlignInputKind::kAuto}, {"image", AlignInputKind::kImage},
                                  {"folder", AlignInputKind::kFolder}, {"list", AlignInputKind::kList}},
             "what input.path is; auto: folder if a directory, list if it ends in .txt/.lst/.list, else image");
  o.add("input.list_root", &list_root, "folder that relative paths in a list file are relative to (default: the list's folder)");
  o.add("input.extensions", &extensions, "file extensions taken from folders (case-insensitive)");
  o.add("input.max_file_bytes", &max_file_bytes, "larger files are not read (status too_large)");
  o.add("input.max_pixels", &max_pixels, "images whose header says more pixels are not decoded (status too_large)");
  o.add("input.min_size", &min_size, "images with a smaller width or height are not processed (status too_small)");
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
             "several faces: keep the largest, the one closest to the centre, the best score, all, or reject (several_faces)");
  o.add("landmarks.model", &landmark_model, "dlib 68-point shape predictor (default: found in /usr/share/dlib)");
  o.add_enum("align.template", &template_kind, template_kind_names(), "5-point target template");
  o.add("align.template_file", &template_file, "template file for align.template=file ('width height' then five 'x y')");
  o.add("align.width", &width, "output width (0: the template's; the template is scaled)");
  o.add("align.height", &height, "output height (0: the template's)");
  o.add_enum("align.no_face", &no_face, no_face_policy_names(), "no face found: skip, or write a centre crop (status no_face_cropped)");
  o.add("align.weights", &weights,
        "least-squares weight of each landmark (left eye, right eye, nose, left mouth, right mouth) in the fit");
  o.add("output.dir", &output_dir, "output folder (aligned images under images/, RecordIO, manifest, summary)");
  o.add("output.images", &write_images, "write aligned images mirroring the input tree");
  o.add_enum("output.format", &format, EnumNames<ImageFormat>{{"jpg", ImageFormat::kJpeg}, {"png", ImageFormat::kPng}},
             "aligned image encoding (files and records)");
  o.add("output.jpeg_quality", &jpeg_quality, "JPEG quality 0-100");
  o.add("output.png_compression", &png_compression, "PNG compression 0-9");
  o.add("output.recordio", &write_recordio, "also pack aligned faces into <output.dir>/<output.record_name>.rec/.idx");
  o.add("output.record_name", &record_name, "RecordIO file stem");
  o.add("output.manifest", &manifest, "manifest CSV (default: <output.dir>/manifest.csv, per shard manifest-<i>-of-<n>.csv)");
  o.add("run.threads", &threads, "worker threads (0: all available cores)");
  o.add("run.shard", &shard, "i/n: process only the i-th of n contiguous slices of the sorted inputs");
  o.add("run.resume", &resume, "skip inputs already in the manifest; false: refuse to run if a manifest exists");
  o.add("run.max_errors", &max_errors, "stop after this many internal errors (status error)");
  o.add("run.max_items", &max_items, "> 0: process at most this many not-yet-done inputs, then stop (trial runs)");
  o.add("run.progress", &progress, "show a progress display");
  o.positional("input.path", 1);
}

int AlignConfig::shard_index() const {
  int i = 0, n = 0;
  char slash = 0;
  std::string rest;
  std::istringstream s(shard);
  FV_CHECK(static_cast<bool>(s >> i >> slash >> n) && slash == '/' && !(s >> rest) && n >= 1 && i >= 0 && i < n,
           ConfigError, "run.shard: expected 'i/n' with 0 <= i < n, got '{}'", shard);
  return i;
}

int AlignConfig::shard_count() const {
  shard_index();
  return std::stoi(shard.substr(shard.find('/') + 1));
}

void AlignConfig::validate() const {
  FV_CHECK(!input.empty(), ConfigError, "input.path: give an image, a folder or a list file");
  FV_CHECK(std::filesystem::exists(input), ConfigError, "input.path: '{}' does not exist", input);
  FV_CHECK(!output_dir.empty(), ConfigError, "output.dir: required");
  FV_CHECK(write_images || write_recordio, ConfigError, "output.images and output.recordio are both false: nothing to write");
  FV_CHECK(max_file_bytes > 0 && max_file_bytes < (1ll << 31), ConfigError,
           "input.max_file_bytes must be in [1, 2^31) (OpenCV decodes buffers of int size), got {}", max_file_bytes);
  FV_CHECK(max_pixels > 0, ConfigError, "input.max_pixels must be > 0");
  FV_CHECK(min_size >= 1, ConfigError, "input.min_size must be >= 1");
  FV_CHECK(upsample >= 0 && upsample <= 4, ConfigError, "detect.upsample must be in [0, 4], got {}", upsample);
  FV_CHECK(max_side >= 0 && min_face >= 0, ConfigError, "detect.max_side and detect.min_face must be >= 0");
  FV_CHECK((detector != DetectorKind::kMmod && detector != DetectorKind::kYunet) || !detector_model.empty(), ConfigError,
           "detect.model: required by detect.detector={}", enum_name(detector_kind_names(), detector));
  FV_CHECK(template_kind != TemplateKind::kFile || !template_file.empty(), ConfigError,
           "align.template_file: required by align.template=file");
  FV_CHECK(width >= 0 && height >= 0 && width <= 4096 && height <= 4096, ConfigError,
           "align.width/align.height must be in [0, 4096], got {}x{}", width, height);
  FV_CHECK(jpeg_quality >= 0 && jpeg_quality <= 100, ConfigError, "output.jpeg_quality must be in [0, 100]");
  FV_CHECK(png_compression >= 0 && png_compression <= 9, ConfigError, "output.png_compression must be in [0, 9]");
  FV_CHECK(!record_name.empty() && record_name.find('/') == std::string::npos, ConfigError,
           "output.record_name must be a plain file stem, got '{}'", record_name);
  FV_CHECK(threads >= 0, ConfigError, "run.threads must be >= 0");
  FV_CHECK(max_errors >= 0, ConfigError, "run.max_errors must be >= 0");
  FV_CHECK(max_items >= 0, ConfigError, "run.max_items must be >= 0");
  shard_index();
  fit_weights();
}

std::vector<double> AlignConfig::fit_weights() const {
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

DetectorOptions AlignConfig::detector_options() const {
  DetectorOptions d;
  d.kind = detector;
  d.upsample = upsample;
  d.threshold = detector == DetectorKind::kYunet ? yunet_score : threshold;
  d.model = detector_model;
  d.haar_min_neighbors = haar_min_neighbors;
  d.max_side = max_side;
  return d;
}

DecodeLimits AlignConfig::decode_limits() const { return {max_file_bytes, max_pixels, min_size}; }

std::string AlignConfig::shard_suffix() const {
  const int n = shard_count();
  return n == 1 ? "" : fmt::format("-{}-of-{}", shard_index(), n);
}

std::string AlignConfig::manifest_path() const {
  if (!manifest.empty()) return manifest;
  return (std::filesystem::path(output_dir) / ("manifest" + shard_suffix() + ".csv")).string();
}

std::string AlignConfig::record_path() const {
  return (std::filesystem::path(output_dir) / (record_name + shard_suffix() + ".rec")).string();
}

std::string AlignConfig::index_path() const {
  return (std::filesystem::path(output_dir) / (record_name + shard_suffix() + ".idx")).string();
}

}  // namespace fv
