// Reading TensorFlow.js weights: a weights manifest (JSON) plus its binary shard(s), dequantised to float32.
//
// Manifest: [{"paths": ["a.bin", ...], "weights": [{"name", "shape", "dtype", "quantization"?}, ...]}, ...].
// Each group's tensors lie back to back in the concatenation of its shards, in manifest order. A tensor is
// stored as float32 (4 bytes per value, little-endian) or, with "quantization": {"dtype": "uint8"|"uint16",
// "scale": s, "min": m}, as unsigned integers q with value = q * s + m (tfjs io/types.ts, decodeWeights).
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

namespace fv {

struct TfjsTensor {
  std::string name;
  std::vector<int64_t> shape;  // as in the manifest (tfjs layouts: conv filters HWIO, matMul weights [in, out])
  std::vector<float> values;   // dequantised, row-major, product(shape) values
  bool quantized = false;      // stored as uint8/uint16 in the binary
};

// Reads every tensor of `manifest`. `weights` names the binary; empty = the manifest's "paths", relative to
// the manifest's folder. A non-empty `weights` requires a manifest with a single shard in all.
// Ensures: tensors in manifest order, each with product(shape) values, the shard bytes consumed exactly.
// Throws IoError (unreadable file), FormatError naming the file and the tensor (bad JSON, missing field,
// unsupported dtype or quantization, duplicate name, a dimension that is not a non-negative integer, a shape
// whose byte size overflows 64 bits, a quantization scale or min that is not finite or maps values outside the
// float range, shard size different from what the manifest needs), ConfigError (`weights` given for a manifest with several shards).
std::vector<TfjsTensor> read_tfjs_weights(const std::filesystem::path& manifest, const std::filesystem::path& weights = {});

// One shard's bytes, and the name messages give it (its path).
struct TfjsShard {
  std::string name;
  std::string bytes;
};
// Returns the shard a manifest's "paths" entry names (the entry as written); may throw IoError.
using TfjsShardReader = std::function<TfjsShard(const std::string& path)>;

// As read_tfjs_weights with the manifest's text already in memory (`manifest_name` names it in messages) and
// every shard it lists read by `read_shard`. Throws FormatError as read_tfjs_weights, and what read_shard throws.
std::vector<TfjsTensor> parse_tfjs_weights(std::string_view manifest_json, const std::string& manifest_name,
                                           const TfjsShardReader& read_shard);

// The binary files read_tfjs_weights(manifest, weights) reads, in order (`weights` alone when given).
// Throws as read_tfjs_weights for an unreadable or malformed manifest.
std::vector<std::filesystem::path> tfjs_shard_paths(const std::filesystem::path& manifest,
                                                    const std::filesystem::path& weights = {});

}  // namespace fv
