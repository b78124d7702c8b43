// TensorFlow.js weights manifest + binary shards -> named float tensors (dequantised).
#include "import/tfjs_weights.h"

#include <nlohmann/json.hpp>

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

nlohmann::json parse_manifest(const std::filesystem::path& manifest_path) {
  const std::string manifest_name = manifest_path.string();
  nlohmann::json manifest;
  try {
    manifest = nlohmann::json::parse(read_file(manifest_path));
  } catch (const nlohmann::json::parse_error& e) {
    throw FormatError(fmt::format("{}: not valid JSON at byte {}: {}", manifest_name, e.byte, e.what()));
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

}  // namespace

std::vector<std::filesystem::path> tfjs_shard_paths(const std::filesystem::path& manifest_path,
                                                    const std::filesystem::path& weights_path) {
  if (!weights_path.empty()) return {weights_path};
  std::vector<std::filesystem::path> out;
  for (const auto& group : parse_manifest(manifest_path)) {
    for (const auto& p : group.at("paths")) out.push_back(manifest_path.parent_path() / p.get<std::string>());
  }
  return out;
}

std::vector<TfjsTensor> read_tfjs_weights(const std::filesystem::path& manifest_path,
                                          const std::filesystem::path& weights_path) {
  const std::string manifest_name = manifest_path.string();
  const nlohmann::json manifest = parse_manifest(manifest_path);
  size_t shard_count = 0;
  for (const auto& group : manifest) shard_count += group.at("paths").size();
  FV_CHECK(weights_path.empty() || shard_count == 1, ConfigError,
           "weights: '{}' was given, but {} lists {} shards; leave weights empty to read the shards it lists",
           weights_path.string(), manifest_name, shard_count);

  std::vector<TfjsTensor> tensors;
  std::set<std::string> names;
  for (size_t g = 0; g < manifest.size(); ++g) {
    const auto& group = manifest[g];
    const std::string group_where = fmt::format("{}: weight group {}", manifest_name, g);
    // The group's bytes: its shards concatenated.
    std::string data;
    std::string data_name;
    for (const auto& p : group.at("paths")) {
      const std::filesystem::path shard =
          weights_path.empty() ? manifest_path.parent_path() / p.get<std::string>() : weights_path;
      data += read_file(shard);
      data_name += (data_name.empty() ? "" : "+") + shard.string();
    }
    const auto& weights = field(group, "weights", group_where);
    FV_CHECK(weights.is_array(), FormatError, "{}: 'weights' must be an array", group_where);
    size_t offset = 0;
    for (size_t i = 0; i < weights.size(); ++i) {
      const auto& w = weights[i];
      const std::string where = fmt::format("{}: weight {}", group_where, i);
      TfjsTensor t;
      try {
        t.name = field(w, "name", where).get<std::string>();
        const std::string tensor_where = fmt::format("{}: tensor '{}'", manifest_name, t.name);
        t.shape = field(w, "shape", tensor_where).get<std::vector<int64_t>>();
        const std::string dtype = field(w, "dtype", tensor_where).get<std::string>();
        FV_CHECK(dtype == "float32", FormatError, "{}: dtype '{}' is not supported (only float32)", tensor_where, dtype);
        int64_t count = 1;
        for (int64_t d : t.shape) {
          FV_CHECK_GE(d, 0, FormatError, "{}: negative dimension", tensor_where);
          count *= d;
        }
        std::string stored = "float32";
        double scale = 1, min = 0;
        if (w.contains("quantization")) {
          const auto& q = w.at("quantization");
          stored = field(q, "dtype", tensor_where + " quantization").get<std::string>();
          FV_CHECK(stored == "uint8" || stored == "uint16", FormatError,
                   "{}: quantization dtype '{}' is not supported (uint8 or uint16)", tensor_where, stored);
          scale = field(q, "scale", tensor_where + " quantization").get<double>();
          min = field(q, "min", tensor_where + " quantization").get<double>();
          t.quantized = true;
        }
        const size_t width = stored == "uint8" ? 1 : stored == "uint16" ? 2 : 4;
        const size_t bytes = static_cast<size_t>(count) * width;
        FV_CHECK(offset + bytes <= data.size(), FormatError,
                 "{}: needs bytes [{}, {}) of {}, which has only {} bytes", tensor_where, offset, offset + bytes,
                 data_name, data.size());
        FV_CHECK(names.insert(t.name).second, FormatError, "{}: duplicate tensor name", tensor_where);
        const auto* p = reinterpret_cast<const unsigned char*>(data.data()) + offset;
        t.values.resize(static_cast<size_t>(count));
        for (int64_t k = 0; k < count; ++k) {
          if (width == 1) {
            t.values[k] = static_cast<float>(p[k] * scale + min);
          } else if (width == 2) {
            t.values[k] = static_cast<float>((p[2 * k] | (p[2 * k + 1] << 8)) * scale + min);
          } else {
            const uint32_t bits = load_u32(p + 4 * k);
            std::memcpy(&t.values[k], &bits, 4);
          }
        }
        offset += bytes;
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

}  // namespace fv
