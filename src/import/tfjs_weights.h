// Reading TensorFlow.js weights: a weights manifest (JSON) plus its binary shard(s), dequantised to float32.
//
// Manifest: [{"paths": ["a.bin", ...], "weights": [{"name", "shape", "dtype", "quantization"?}, ...]}, ...].
// Each group's tensors lie back to back in the concatenation of its shards, in manifest order. A tensor is
// stored as float32 (4 bytes per value, little-endian) or, with "quantization": {"dtype": "uint8"|"uint16",
// "scale": s, "min": m}, as unsigned integers q with value = q * s + m (tfjs io/types.ts, decodeWeights).
#pragma once

#include <cstdint>
#include <filesystem>
#include <string>
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
// unsupported dtype or quantization, duplicate name, negative dimension, shard size different from what the
// manifest needs), ConfigError (`weights` given for a manifest with several shards).
std::vector<TfjsTensor> read_tfjs_weights(const std::filesystem::path& manifest, const std::filesystem::path& weights = {});

// The binary files read_tfjs_weights(manifest, weights) reads, in order (`weights` alone when given).
// Throws as read_tfjs_weights for an unreadable or malformed manifest.
std::vector<std::filesystem::path> tfjs_shard_paths(const std::filesystem::path& manifest,
                                                    const std::filesystem::path& weights = {});

}  // namespace fv
