// Model file: JSON metadata + the backbone's tensors in one LibTorch archive, written atomically.
#include "model/model_file.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include "core/check.h"
#include "core/error.h"
#include "core/iso_time.h"
#include "core/sha256.h"
#include "model/archive_io.h"

namespace fv {
namespace {

constexpr const char* kMetaKey = "fv_model_meta";
constexpr const char* kBackboneKey = "backbone";
constexpr const char* kFormatTag = "fv-model";

template <typename T>
T field(const nlohmann::json& j, const char* key, const std::string& where) {
  auto it = j.find(key);
  if (it == j.end()) throw FormatError(fmt::format("{}: missing key '{}'", where, key));
  try {
    return it->get<T>();
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: key '{}' has the wrong type ({})", where, key, e.what()));
  }
}

nlohmann::json meta_to_json(const ModelMeta& meta) {
  return {{"format", kFormatTag},
          {"version", kModelFileVersion},
          {"backbone", to_json(meta.backbone)},
          {"preprocess", to_json(meta.preprocess)},
          {"producer", meta.producer},
          {"created", meta.created.empty() ? iso_time_now() : meta.created},
          {"provenance", meta.provenance}};
}

ModelMeta meta_from_archive(torch::serialize::InputArchive& archive, const std::string& where) {
  c10::IValue value;
  if (!archive.try_read(kMetaKey, value) || !value.isString())
    throw FormatError(fmt::format("{}: not an fv model file (no '{}' entry)", where, kMetaKey));
  nlohmann::json j;
  try {
    j = nlohmann::json::parse(value.toStringRef());
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: model metadata is not valid JSON ({})", where, e.what()));
  }
  const auto format = field<std::string>(j, "format", where);
  FV_CHECK(format == kFormatTag, FormatError, "{}: format is '{}', expected '{}'", where, format, kFormatTag);
  const int version = field<int>(j, "version", where);
  FV_CHECK(version >= 1 && version <= kModelFileVersion, FormatError,
           "{}: model file version {} is not supported (this build reads 1 to {}); update fv", where, version,
           kModelFileVersion);
  ModelMeta meta;
  meta.backbone = backbone_options_from_json(field<nlohmann::json>(j, "backbone", where), where + " backbone");
  meta.preprocess =
      preprocess_options_from_json(field<nlohmann::json>(j, "preprocess", where), where + " preprocess");
  meta.producer = j.value("producer", "");
  meta.created = j.value("created", "");
  meta.provenance = j.value("provenance", nlohmann::json::object());
  return meta;
}

void check_consistent(const ModelMeta& meta, const std::string& where) {
  const auto& b = meta.backbone;
  const auto& p = meta.preprocess;
  FV_CHECK(p.width == b.input_width() && p.height == b.input_height() && p.channels == b.in_channels(),
           FormatError, "{}: preprocessing {}x{}x{} does not match the network input {}x{}x{}", where, p.channels,
           p.height, p.width, b.in_channels(), b.input_height(), b.input_width());
}

torch::serialize::InputArchive open_archive(const std::filesystem::path& path) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw IoError(fmt::format("{}: model file not found", path.string()));
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path.string(), torch::kCPU);
  } catch (const c10::Error& e) {
    throw FormatError(fmt::format("{}: not a readable model file ({})", path.string(), e.what_without_backtrace()));
  }
  return archive;
}

}  // namespace

nlohmann::json to_json(const BackboneOptions& o) {
  nlohmann::json j = {{"kind", backbone_kind_name(o.kind())}, {"embedding_dim", o.embedding_dim()},
                      {"input_height", o.input_height()},     {"input_width", o.input_width()},
                      {"in_channels", o.in_channels()},       {"dropout", o.dropout()}};
  if (!o.graph().empty()) j["graph"] = nlohmann::json::parse(o.graph());
  return j;
}

nlohmann::json to_json(const PreprocessOptions& p) {
  return {{"width", p.width}, {"height", p.height}, {"channels", p.channels}, {"mean", p.mean}, {"std", p.std}};
}

BackboneOptions backbone_options_from_json(const nlohmann::json& j, const std::string& where) {
  BackboneKind kind;
  try {
    kind = parse_backbone_kind(field<std::string>(j, "kind", where), where + " kind");
  } catch (const ConfigError& e) {
    throw FormatError(e.what());
  }
  BackboneOptions o(kind);
  o.embedding_dim(field<int64_t>(j, "embedding_dim", where))
      .input_height(field<int64_t>(j, "input_height", where))
      .input_width(field<int64_t>(j, "input_width", where))
      .in_channels(field<int64_t>(j, "in_channels", where))
      .dropout(field<double>(j, "dropout", where));
  if (j.contains("graph")) o.graph(field<nlohmann::json>(j, "graph", where).dump());
  try {
    return resolve(o);
  } catch (const ConfigError& e) {
    throw FormatError(fmt::format("{}: {}", where, e.what()));
  }
}

PreprocessOptions preprocess_options_from_json(const nlohmann::json& j, const std::string& where) {
  PreprocessOptions p;
  p.width = field<int>(j, "width", where);
  p.height = field<int>(j, "height", where);
  p.channels = field<int>(j, "channels", where);
  p.mean = field<std::array<float, 3>>(j, "mean", where);
  p.std = field<std::array<float, 3>>(j, "std", where);
  FV_CHECK(p.width > 0 && p.height > 0 && (p.channels == 1 || p.channels == 3), FormatError,
           "{}: invalid size {}x{}x{}", where, p.channels, p.height, p.width);
  for (float s : p.std) FV_CHECK(s > 0, FormatError, "{}: std must be positive (got {})", where, s);
  return p;
}

void save_model_file(const std::filesystem::path& path, const ModelMeta& meta, Backbone& backbone) {
  const auto& a = backbone.options();
  const auto& b = meta.backbone;
  FV_CHECK(a.kind() == b.kind() && a.embedding_dim() == b.embedding_dim() && a.input_height() == b.input_height() &&
               a.input_width() == b.input_width() && a.in_channels() == b.in_channels() && a.graph() == b.graph(),
           ConfigError, "{}: the metadata's backbone does not describe the network being saved", path.string());
  check_consistent(meta, path.string());

  torch::serialize::OutputArchive archive;
  archive.write(kMetaKey, c10::IValue(meta_to_json(meta).dump()));
  torch::serialize::OutputArchive weights;
  // Nested archives per submodule (read back by read_module_tensor). Tensors of a CUDA network are stored
  // with their device and mapped to the CPU on load, so the file loads anywhere.
  backbone.save(weights);
  archive.write(kBackboneKey, weights);
  save_archive_atomic(archive, path, "model");
}

ModelMeta read_model_meta(const std::filesystem::path& path) {
  auto archive = open_archive(path);
  return meta_from_archive(archive, path.string());
}

LoadedModel load_model_file(const std::filesystem::path& path) {
  const std::string where = path.string();
  auto archive = open_archive(path);
  LoadedModel model;
  model.meta = meta_from_archive(archive, where);
  check_consistent(model.meta, where);
  model.backbone = make_backbone(model.meta.backbone);
  torch::serialize::InputArchive weights;
  if (!archive.try_read(kBackboneKey, weights))
    throw FormatError(fmt::format("{}: no '{}' weights", where, kBackboneKey));
  // Tensor by tensor, so that a missing or misshaped one is reported by name.
  for (auto& p : model.backbone->named_parameters()) {
    if (!read_module_tensor(weights, p.key(), p.value(), false, where))
      throw FormatError(fmt::format("{}: weights lack '{}'", where, p.key()));
  }
  for (auto& b : model.backbone->named_buffers()) {
    if (!read_module_tensor(weights, b.key(), b.value(), true, where))
      throw FormatError(fmt::format("{}: weights lack '{}'", where, b.key()));
  }
  model.backbone->eval();
  model.sha256 = sha256_file_hex(path);
  return model;
}

}  // namespace fv
