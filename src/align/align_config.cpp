// Binding and validation of fv-align's configuration keys.
#include "align/align_config.h"

#include <fmt/format.h>

#include <filesystem>
#include <sstream>

#include "core/check.h"

namespace fv {

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
  FaceAlignOptions::bind(o);
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
  FV_CHECK(jpeg_quality >= 0 && jpeg_quality <= 100, ConfigError, "output.jpeg_quality must be in [0, 100]");
  FV_CHECK(png_compression >= 0 && png_compression <= 9, ConfigError, "output.png_compression must be in [0, 9]");
  FV_CHECK(!record_name.empty() && record_name.find('/') == std::string::npos, ConfigError,
           "output.record_name must be a plain file stem, got '{}'", record_name);
  FV_CHECK(threads >= 0, ConfigError, "run.threads must be >= 0");
  FV_CHECK(max_errors >= 0, ConfigError, "run.max_errors must be >= 0");
  FV_CHECK(max_items >= 0, ConfigError, "run.max_items must be >= 0");
  shard_index();
  FaceAlignOptions::validate();
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
