// fv-align's typed configuration: every key of configs/align.ini, bound to options, validated once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "align/face_detector.h"
#include "align/face_template.h"
#include "align/image_io.h"
#include "core/options.h"

namespace fv {

enum class AlignInputKind { kAuto, kImage, kFolder, kList };
enum class MultiFacePolicy { kLargest, kCenter, kScore, kAll, kReject };
enum class NoFacePolicy { kSkip, kCenterCrop };

struct AlignConfig {
  // [input]
  std::string input;                  // image file, folder tree or list file (positional argument)
  AlignInputKind input_kind = AlignInputKind::kAuto;
  std::string list_root;              // list files: relative paths are resolved here ("" = the list's folder)
  std::vector<std::string> extensions{"jpg", "jpeg", "png", "bmp", "ppm", "pgm", "pnm", "webp", "tif", "tiff"};
  std::int64_t max_file_bytes = 256ll << 20;
  std::int64_t max_pixels = 100'000'000;
  int min_size = 32;

  // [detect]
  DetectorKind detector = DetectorKind::kHog;
  int upsample = 0;
  double threshold = 0.0;
  double yunet_score = 0.9;
  std::string detector_model;
  int haar_min_neighbors = 3;
  int max_side = 0;
  int min_face = 0;
  MultiFacePolicy policy = MultiFacePolicy::kLargest;

  // [landmarks]
  std::string landmark_model;  // "" = found automatically (find_landmark_model)

  // [align]
  TemplateKind template_kind = TemplateKind::kArcface;
  std::string template_file;
  int width = 0;   // 0 = the template's native size
  int height = 0;
  NoFacePolicy no_face = NoFacePolicy::kSkip;
  // Least-squares weight per landmark (5-point order). Eyes count 4x: dlib's mouth corners move with the
  // expression (a smile lifts them ~3 px in 112x112), the eye centres do not. "1 1 1 1 1" is
  // insightface's unweighted fit.
  std::vector<std::string> weights{"4", "4", "1", "1", "1"};

  // [output]
  std::string output_dir;
  bool write_images = true;
  ImageFormat format = ImageFormat::kJpeg;
  int jpeg_quality = 95;
  int png_compression = 3;
  bool write_recordio = false;
  std::string record_name = "train";
  std::string manifest;  // "" = <output.dir>/manifest[-<i>-of-<n>].csv

  // [run]
  int threads = 0;  // 0 = all available cores
  std::string shard = "0/1";
  bool resume = true;
  std::int64_t max_errors = 100;
  std::int64_t max_items = 0;  // > 0: process at most this many new inputs this run
  bool progress = true;

  void bind(OptionSet& o);
  // Throws ConfigError naming the key for invalid values or combinations.
  void validate() const;

  // Parsed from `shard` ("i/n", 0 <= i < n).
  int shard_index() const;
  int shard_count() const;
  DetectorOptions detector_options() const;
  DecodeLimits decode_limits() const;
  // align.weights as numbers; throws ConfigError unless five finite numbers >= 0 with a positive sum.
  std::vector<double> fit_weights() const;
  // "" for a single shard, "-<i>-of-<n>" otherwise: suffix of per-shard file names.
  std::string shard_suffix() const;
  std::string manifest_path() const;
  std::string record_path() const;  // <output.dir>/<record_name><suffix>.rec
  std::string index_path() const;   // ... .idx
};

const EnumNames<MultiFacePolicy>& multi_face_policy_names();
const EnumNames<NoFacePolicy>& no_face_policy_names();

}  // namespace fv
