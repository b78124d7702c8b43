// TensorFlow.js weights manifest + binary shards -> named float tensors (dequantised).
#include "import/tfjs_weights.h"

#include <nlohmann/json.hpp>

#include <cfloat>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <set>

#include "core/atomic_file.h"
#include "core/check.h"

namespace fv {
namespace {

// Little-endian loads (the tfjs format is little-endian; so is every machine we build for, but be explicit).
uint32_t load_u32(const unsigned char* p) { return p[0] | (p[1] << 8) | (p[2] << 16) | (static_cast<uint32_t>(p[3]) << 24); }

const nlohmann::json& field(const nlohmann::json& j, const char* key, const std::string& where) {
  FV_CHECK(j.is_object() && j.contains(key), FormatError, "{}: missing field '{}'", where, key);
  return j.at(key);
}

nlohmann::json parse_manifest(std::string_view text, const std::string& manifest_name) {
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(text.begin(), text.end());
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(fmt::format("{}: not valid JSON at byte {}: {}", manifest_name, e.byte, e.what()));
  } catch (const nlohmann::json::exception& e) {  // e.g. a number beyond a double (found by fuzz_tfjs_manifest)
    throw FormatError(fmt::format("{}: not valid JSON: {}", manifest_name, e.what()));
  }
  FV_CHECK(manifest.is_array() && !manifest.empty(), FormatError,
           "{}: expected a non-empty JSON array of weight groups", manifest_name);
  for (const auto& group : manifest) {
    const auto& paths = field(group, "paths", manifest_name + ": weight group");
    FV_CHECK(paths.is_array() && !paths.empty(), FormatError, "{}: a weight group has no 'paths'", manifest_name);
    for (const auto& p : paths) FV_CHECK(p.is_string(), FormatError, "{}: 'paths' must hold strings", manifest_name);
  }
  return manifest;
}

// The dimensions of a tensor: non-negative integers (a float such as 1e300 or 2.5 is refused, not truncated).
std::vector<int64_t> shape_of(const nlohmann::json& shape, const std::string& where) {
  FV_CHECK(shape.is_array(), FormatError, "{}: 'shape' is a {}, not an array of dimensions", where, shape.type_name());
  std::vector<int64_t> out;
  for (const auto& d : shape) {
    FV_CHECK(d.is_number_integer(), FormatError, "{}: a dimension is a {}, not an integer", where,
             d.is_number_float() ? "floating-point number" : d.type_name());
    FV_CHECK(!d.is_number_unsigned() || d.get<uint64_t>() <= static_cast<uint64_t>(INT64_MAX), FormatError,
             "{}: dimension {} is too large", where, d.get<uint64_t>());
    out.push_back(d.get<int64_t>());
    FV_CHECK_GE(out.back(), 0, FormatError, "{}: negative dimension", where);
  }
  return out;
}

// Every group of `manifest` (already checked by parse_manifest), its shards read by `read_shard`.
std::vector<TfjsTensor> decode_weights(const nlohmann::json& manifest, const std::string& manifest_name,
                                       const TfjsShardReader& read_shard) {
  std::vector<TfjsTensor> tensors;
  std::set<std::string> names;
  for (size_t g = 0; g < manifest.size(); ++g) {
    const auto& group = manifest[g];
    const std::string group_where = fmt::format("{}: weight group {}", manifest_name, g);
    // The group's bytes: its shards concatenated.
    std::string data;
    std::string data_name;
    for (const auto& p : group.at("paths")) {
      const TfjsShard shard = read_shard(p.get<std::string>());
      data += shard.bytes;
      data_name += (data_name.empty() ? "" : "+") + shard.name;
    }
    const auto& weights = field(group, "weights", group_where);
    FV_CHECK(weights.is_array(), FormatError, "{}: 'weights' must be an array", group_where);
    size_t offset = 0;  // <= data.size()
    for (size_t i = 0; i < weights.size(); ++i) {
      const auto& w = weights[i];
      const std::string where = fmt::format("{}: weight {}", group_where, i);
      TfjsTensor t;
      try {
        t.name = field(w, "name", where).get<std::string>();
        const std::string tensor_where = fmt::format("{}: tensor '{}'", manifest_name, t.name);
        t.shape = shape_of(field(w, "shape", tensor_where), tensor_where);
        const std::string dtype = field(w, "dtype", tensor_where).get<std::string>();
        FV_CHECK(dtype == "float32", FormatError, "{}: dtype '{}' is not supported (only float32)", tensor_where, dtype);
        std::string stored = "float32";
        double scale = 1, min = 0;
        if (w.contains("quantization")) {
          const auto& q = w.at("quantization");
          stored = field(q, "dtype", tensor_where + " quantization").get<std::string>();
          FV_CHECK(stored == "uint8" || stored == "uint16", FormatError,
                   "{}: quantization dtype '{}' is not supported (uint8 or uint16)", tensor_where, stored);
          scale = field(q, "scale", tensor_where + " quantization").get<double>();
          min = field(q, "min", tensor_where + " quantization").get<double>();
          // Every dequantised value q * scale + min, q in [0, 2^bits - 1], must be a float (no overflow to inf).
          const double top = min + scale * (stored == "uint8" ? 255.0 : 65535.0);
          FV_CHECK(std::isfinite(scale) && std::isfinite(min) && std::abs(min) <= FLT_MAX && std::abs(top) <= FLT_MAX,
                   FormatError, "{}: quantization scale {} and min {} give values outside the float range",
                   tensor_where, scale, min);
          t.quantized = true;
        }
        const size_t width = stored == "uint8" ? 1 : stored == "uint16" ? 2 : 4;
        // count * width bytes, computed without overflow: the dimensions come from the file.
        uint64_t bytes = width;
        bool overflow = false;
        for (int64_t d : t.shape) overflow = overflow || __builtin_mul_overflow(bytes, static_cast<uint64_t>(d), &bytes);
        FV_CHECK(!overflow, FormatError, "{}: shape [{}] needs more than 2^64 bytes", tensor_where,
                 fmt::join(t.shape, ", "));
        FV_CHECK(bytes <= data.size() - offset, FormatError, "{}: needs bytes [{}, {}) of {}, which has only {} bytes",
                 tensor_where, offset, static_cast<unsigned __int128>(offset) + bytes, data_name, data.size());
        const size_t count = static_cast<size_t>(bytes) / width;
        FV_CHECK(names.insert(t.name).second, FormatError, "{}: duplicate tensor name", tensor_where);
        const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + offset;
        t.values.resize(count);
        for (size_t k = 0; k < count; ++k) {
          if (width == 1) {
            t.values[k] = static_cast<float>(p[k] * scale + min);
          } else if (width == 2) {
            t.values[k] = static_cast<float>((p[2 * k] | (p[2 * k + 1] << 8)) * scale + min);
          } else {
            const uint32_t bits = load_u32(p + 4 * k);
            std::memcpy(&t.values[k], &bits, 4);
          }
        }
        offset += static_cast<size_t>(bytes);
      } catch (const nlohmann::json::exception& e) {
        throw FormatError(fmt::format("{}{}: malformed entry: {}", where, t.name.empty() ? "" : " ('" + t.name + "')",
                                      e.what()));
      }
      tensors.push_back(std::move(t));
    }
    FV_CHECK_EQ(offset, data.size(), FormatError, "{}: the manifest describes {} bytes but {} has {}", group_where,
                offset, data_name, data.size());
  }
  return tensors;
}

}  // namespace

std::vector<std::filesystem::path> tfjs_shard_paths(const std::filesystem::path& manifest_path,
                                                    const std::filesystem::path& weights_path) {
  if (!weights_path.empty()) return {weights_path};
  std::vector<std::filesystem::path> out;
  for (const auto& group : parse_manifest(read_file(manifest_path), manifest_path.string())) {
    for (const auto& p : group.at("paths")) out.push_back(manifest_path.parent_path() / p.get<std::string>());
  }
  return out;
}

std::vector<TfjsTensor> read_tfjs_weights(const std::filesystem::path& manifest_path,
                                          const std::filesystem::path& weights_path) {
  const std::string manifest_name = manifest_path.string();
  const nlohmann::json manifest = parse_manifest(read_file(manifest_path), manifest_name);
  size_t shard_count = 0;
  for (const auto& group : manifest) shard_count += group.at("paths").size();
  FV_CHECK(weights_path.empty() || shard_count == 1, ConfigError,
           "weights: '{}' was given, but {} lists {} shards; leave weights empty to read the shards it lists",
           weights_path.string(), manifest_name, shard_count);
  return decode_weights(manifest, manifest_name, [&](const std::string& path) {
    const std::filesystem::path shard = weights_path.empty() ? manifest_path.parent_path() / path : weights_path;
    return TfjsShard{shard.string(), read_file(shard)};
  });
}

std::vector<TfjsTensor> parse_tfjs_weights(std::string_view manifest_json, const std::string& manifest_name,
                                           const TfjsShardReader& read_shard) {
  return decode_weights(parse_manifest(manifest_json, manifest_name), manifest_name, read_shard);
}

}  // namespace fv
