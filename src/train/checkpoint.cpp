// Checkpoint save / load (see checkpoint.h for the layout).
#include "train/checkpoint.h"

#include <fmt/format.h>
#include <fmt/ranges.h>

#include <ATen/CPUGeneratorImpl.h>

#include <mutex>

#include "core/check.h"
#include "core/error.h"
#include "core/iso_time.h"
#include "model/archive_io.h"

namespace fv {
namespace {

constexpr const char* kMetaKey = "fv_checkpoint_meta";
constexpr const char* kFormatTag = "fv-checkpoint";

torch::serialize::InputArchive open(const std::filesystem::path& path, torch::Device device = torch::kCPU) {
  std::error_code ec;
  if (!std::filesystem::is_regular_file(path, ec))
    throw IoError(fmt::format("{}: checkpoint not found", path.string()));
  torch::serialize::InputArchive archive;
  try {
    archive.load_from(path.string(), device);
  } catch (const c10::Error& e) {
    throw FormatError(fmt::format("{}: not a readable checkpoint ({})", path.string(), e.what_without_backtrace()));
  }
  return archive;
}

CheckpointInfo read_info(torch::serialize::InputArchive& archive, const std::string& where) {
  c10::IValue value;
  if (!archive.try_read(kMetaKey, value) || !value.isString())
    throw FormatError(fmt::format("{}: not an fv checkpoint (no '{}' entry)", where, kMetaKey));
  try {
    const auto j = nlohmann::json::parse(value.toStringRef());
    FV_CHECK(j.at("format") == kFormatTag, FormatError, "{}: not an fv checkpoint", where);
    const int version = j.at("version").get<int>();
    FV_CHECK(version >= 1 && version <= kCheckpointVersion, FormatError,
             "{}: checkpoint version {} is not supported (this build reads 1 to {})", where, version,
             kCheckpointVersion);
    CheckpointInfo info;
    info.step = j.at("step").get<std::int64_t>();
    info.images_seen = j.at("images_seen").get<std::int64_t>();
    info.elapsed_seconds = j.at("elapsed_seconds").get<double>();
    info.config_hash = j.at("config_hash").get<std::string>();
    info.num_samples = j.at("num_samples").get<std::int64_t>();
    info.num_classes = j.at("num_classes").get<std::int64_t>();
    info.loss_scale = j.at("loss_scale").get<double>();
    info.loss_scale_growth_tracker = j.value("loss_scale_growth_tracker", std::int64_t{0});  // absent before 0.1
    info.lambda = j.at("lambda").get<double>();
    info.backbone = j.at("backbone");
    info.loss = j.at("loss").get<std::string>();
    info.classifier = j.value("classifier", std::string("full"));  // absent in single-process checkpoints of 0.1
    info.world_size = j.value("world_size", std::int64_t{1});
    return info;
  } catch (const nlohmann::json::exception& e) {
    throw FormatError(fmt::format("{}: malformed checkpoint metadata ({})", where, e.what()));
  }
}

// Loads every parameter and buffer of `module` from `archive[key]`; `required` ones must be present.
void read_module(torch::serialize::InputArchive& archive, const std::string& key, torch::nn::Module& module,
                 bool all_required, const std::string& where) {
  torch::serialize::InputArchive sub;
  if (!archive.try_read(key, sub)) throw FormatError(fmt::format("{}: no '{}' entry", where, key));
  for (auto& p : module.named_parameters()) {
    const bool found = read_module_tensor(sub, p.key(), p.value(), false, where);
    FV_CHECK(found || (!all_required && p.key() != "weight"), FormatError, "{}: '{}' lacks '{}'", where, key,
             p.key());
  }
  for (auto& b : module.named_buffers()) {
    const bool found = read_module_tensor(sub, b.key(), b.value(), true, where);
    FV_CHECK(found || !all_required, FormatError, "{}: '{}' lacks buffer '{}'", where, key, b.key());
  }
}

void write_module(torch::serialize::OutputArchive& archive, const std::string& key, torch::nn::Module& module) {
  torch::serialize::OutputArchive sub;
  module.save(sub);  // nested archives per submodule, which read_module_tensor walks
  archive.write(key, sub);
}

}  // namespace

void save_checkpoint(const std::filesystem::path& path, const CheckpointInfo& info, torch::nn::Module& backbone,
                     torch::nn::Module& head, torch::optim::Optimizer* optimizer) {
  const nlohmann::json meta = {{"format", kFormatTag},
                               {"version", kCheckpointVersion},
                               {"step", info.step},
                               {"images_seen", info.images_seen},
                               {"elapsed_seconds", info.elapsed_seconds},
                               {"config_hash", info.config_hash},
                               {"num_samples", info.num_samples},
                               {"num_classes", info.num_classes},
                               {"loss_scale", info.loss_scale},
                               {"loss_scale_growth_tracker", info.loss_scale_growth_tracker},
                               {"lambda", info.lambda},
                               {"backbone", info.backbone},
                               {"loss", info.loss},
                               {"classifier", info.classifier},
                               {"world_size", info.world_size},
                               {"created", iso_time_now()}};
  torch::serialize::OutputArchive archive;
  archive.write(kMetaKey, c10::IValue(meta.dump()));
  write_module(archive, "backbone", backbone);
  write_module(archive, "head", head);
  if (optimizer != nullptr) {
    torch::serialize::OutputArchive opt;
    optimizer->save(opt);
    archive.write("optimizer", opt);
  }
  {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    archive.write("rng_cpu", gen.get_state());
  }
  save_archive_atomic(archive, path, "checkpoint");
}

CheckpointInfo read_checkpoint_info(const std::filesystem::path& path) {
  auto archive = open(path);
  return read_info(archive, path.string());
}

CheckpointInfo load_checkpoint(const std::filesystem::path& path, torch::nn::Module& backbone,
                               torch::nn::Module& head, torch::optim::Optimizer* optimizer, torch::Device device) {
  const std::string where = path.string();
  auto archive = open(path, device);  // optimiser state lands on the training device
  CheckpointInfo info = read_info(archive, where);
  read_module(archive, "backbone", backbone, true, where);
  read_module(archive, "head", head, true, where);
  if (optimizer != nullptr) {
    torch::serialize::InputArchive opt;
    if (!archive.try_read("optimizer", opt)) throw FormatError(fmt::format("{}: no optimizer state", where));
    try {
      optimizer->load(opt);
    } catch (const c10::Error& e) {
      throw FormatError(
          fmt::format("{}: optimizer state does not fit this run ({})", where, e.what_without_backtrace()));
    }
  }
  torch::Tensor rng;
  if (archive.try_read("rng_cpu", rng)) {
    auto gen = at::detail::getDefaultCPUGenerator();
    std::lock_guard<std::mutex> lock(gen.mutex());
    gen.set_state(rng.cpu());
  }
  return info;
}

void init_from_checkpoint(const std::filesystem::path& path, torch::nn::Module& backbone, torch::nn::Module& head) {
  const std::string where = path.string();
  auto archive = open(path);
  read_info(archive, where);
  read_module(archive, "backbone", backbone, true, where);
  read_module(archive, "head", head, false, where);
}

}  // namespace fv
