// fv-align's typed configuration: every key of configs/align.ini, bound to options, validated once.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "core/image_codec.h"
#include "core/options.h"
#include "face/face_align_options.h"
#include "face/image_io.h"

namespace fv {

enum class AlignInputKind { kAuto, kImage, kFolder, kList };

// The [detect], [landmarks] and [align] keys are the face library's (FaceAlignOptions, which fv-verify binds
// too); fv-align adds what running over a dataset needs: [input], [output], [run]. Derived rather than
// holding a member so that config.upsample, config.template_kind, ... read as they always have.
struct AlignConfig : FaceAlignOptions {
  // [input]
  std::string input;                  // image file, folder tree or list file (positional argument)
  AlignInputKind input_kind = AlignInputKind::kAuto;
  std::string list_root;              // list files: relative paths are resolved here ("" = the list's folder)
  std::vector<std::string> extensions{"jpg", "jpeg", "png", "bmp", "ppm", "pgm", "pnm", "webp", "tif", "tiff", "gif"};
  std::int64_t max_file_bytes = 256ll << 20;
  std::int64_t max_pixels = 100'000'000;
  int min_size = 32;

  // [detect], [landmarks], [align]: FaceAlignOptions.

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

  // Binds [input], then FaceAlignOptions' keys, then [output] and [run].
  void bind(OptionSet& o);
  // Throws ConfigError naming the key for invalid values or combinations (FaceAlignOptions' included).
  void validate() const;

  // Parsed from `shard` ("i/n", 0 <= i < n).
  int shard_index() const;
  int shard_count() const;
  DecodeLimits decode_limits() const;
  // "" for a single shard, "-<i>-of-<n>" otherwise: suffix of per-shard file names.
  std::string shard_suffix() const;
  std::string manifest_path() const;
  std::string record_path() const;  // <output.dir>/<record_name><suffix>.rec
  std::string index_path() const;   // ... .idx
};

}  // namespace fv
