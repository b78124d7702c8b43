// Head shard files: save one rank's class rows, read any class range back from the shards of any world size.
#include "train/head_shards.h"

#include <fmt/format.h>
#include <fmt/ranges.h>
#include <nlohmann/json.hpp>

#include <regex>
#include <set>

#include "model/archive_io.h"
#include "model/torch_compat.h"
#include "core/check.h"
#include "core/error.h"

namespace fv {
namespace {

namespace fs = std::filesystem;

struct ShardFile {
  fs::path path;
  int rank = 0;
  int world = 0;
};

// Shard files of `step` (any world), from their names.
std::vector<ShardFile> list_shards(const fs::path& dir, int64_t step) {
  std::vector<ShardFile> out;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) throw IoError(fmt::format("head shard folder '{}' does not exist", dir.string()));
  static const std::regex re(R"(head-shard-(\d+)-of-(\d+)\.step-(\d+)\.fvc)");
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (!std::regex_match(name, m, re)) continue;
    if (std::stoll(m[3].str()) != step) continue;
    out.push_back({entry.path(), std::stoi(m[1].str()), std::stoi(m[2].str())});
  }
  return out;
}

struct LoadedShard {
  nlohmann::json meta;
  torch::serialize::InputArchive archive;
};

nlohmann::json read_meta(torch::serialize::InputArchive& archive, const fs::path& path) {
  c10::IValue v;
  if (!archive.try_read("meta", v) || !v.isString()) {
    throw FormatError(fmt::format("'{}': not a head shard file (no meta record)", path.string()));
  }
  nlohmann::json meta;
  try {
    meta = nlohmann::json::parse(v.toStringRef());
  } catch (const std::exception& e) {
    throw FormatError(fmt::format("'{}': head shard meta is not JSON: {}", path.string(), e.what()));
  }
  if (meta.value("format", "") != "fv-head-shard") {
    throw FormatError(fmt::format("'{}': not a head shard file (format '{}')", path.string(), meta.value("format", "")));
  }
  const int version = meta.value("version", -1);
  if (version != kHeadShardVersion) {
    throw FormatError(fmt::format("'{}': head shard version {} is not supported (this build reads version {})",
                                  path.string(), version, kHeadShardVersion));
  }
  return meta;
}

}  // namespace

std::map<std::string, torch::Tensor> optimizer_state_rows(torch::optim::Optimizer& optimizer, const torch::Tensor& param) {
  std::map<std::string, torch::Tensor> out;
  auto& state = optimizer.state();
  const auto it = state.find(optimizer_state_key(state, param));
  if (dynamic_cast<torch::optim::SGD*>(&optimizer) != nullptr) {
    if (it != state.end()) {
      const auto& s = static_cast<const torch::optim::SGDParamState&>(*it->second);
      if (s.momentum_buffer().defined()) out["momentum_buffer"] = s.momentum_buffer();
    }
    return out;
  }
  if (dynamic_cast<torch::optim::AdamW*>(&optimizer) != nullptr) {
    if (it != state.end()) {
      const auto& s = static_cast<const torch::optim::AdamWParamState&>(*it->second);
      if (s.exp_avg().defined()) out["exp_avg"] = s.exp_avg();
      if (s.exp_avg_sq().defined()) out["exp_avg_sq"] = s.exp_avg_sq();
      if (s.max_exp_avg_sq().defined()) out["max_exp_avg_sq"] = s.max_exp_avg_sq();
    }
    return out;
  }
  throw ConfigError("optimizer state rows: only SGD and AdamW are supported");
}

void set_optimizer_state_rows(torch::optim::Optimizer& optimizer, const torch::Tensor& param,
                              const std::map<std::string, torch::Tensor>& rows, int64_t step) {
  auto& state = optimizer.state();
  const auto key = optimizer_state_key(state, param);
  auto take = [&](const char* name) -> torch::Tensor {
    const auto it = rows.find(name);
    if (it == rows.end()) return {};
    FV_CHECK(it->second.sizes() == param.sizes(), ConfigError, "optimizer state '{}' has shape [{}], the parameter [{}]",
             name, fmt::join(it->second.sizes(), ", "), fmt::join(param.sizes(), ", "));
    return it->second.to(param.device(), param.scalar_type()).clone();
  };
  if (dynamic_cast<torch::optim::SGD*>(&optimizer) != nullptr) {
    auto s = std::make_unique<torch::optim::SGDParamState>();
    const auto buf = take("momentum_buffer");
    if (!buf.defined()) return;
    s->momentum_buffer(buf);
    state[key] = std::move(s);
    return;
  }
  if (dynamic_cast<torch::optim::AdamW*>(&optimizer) != nullptr) {
    auto s = std::make_unique<torch::optim::AdamWParamState>();
    const auto m = take("exp_avg"), v = take("exp_avg_sq"), vmax = take("max_exp_avg_sq");
    if (!m.defined() || !v.defined()) return;
    s->step(step);
    s->exp_avg(m);
    s->exp_avg_sq(v);
    if (vmax.defined()) s->max_exp_avg_sq(vmax);
    state[key] = std::move(s);
    return;
  }
  throw ConfigError("optimizer state rows: only SGD and AdamW are supported");
}

fs::path head_shard_path(const fs::path& dir, int64_t step, int rank, int world) {
  return dir / fmt::format("head-shard-{}-of-{}.step-{}.fvc", rank, world, step);
}

void save_head_shard(const fs::path& dir, int64_t step, int rank, int world, int64_t num_classes, ClassRange range,
                     const std::map<std::string, torch::Tensor>& tensors) {
  FV_CHECK(world >= 1 && rank >= 0 && rank < world, ConfigError, "rank {} is not a rank of a world of {}", rank, world);
  FV_CHECK(step >= 0, ConfigError, "the step must be >= 0 (got {})", step);
  FV_CHECK(range.start >= 0 && range.start <= range.end && range.end <= num_classes, ConfigError,
           "class range [{}, {}) is not within [0, {})", range.start, range.end, num_classes);
  FV_CHECK(!tensors.empty(), ConfigError, "a head shard needs at least one tensor");
  static const std::regex name_re(R"([A-Za-z0-9_.]+)");
  torch::serialize::OutputArchive archive;
  nlohmann::json names = nlohmann::json::array();
  for (const auto& [name, t] : tensors) {
    FV_CHECK(std::regex_match(name, name_re), ConfigError, "head shard tensor name '{}' must match [A-Za-z0-9_.]+", name);
    FV_CHECK(t.defined() && t.dim() >= 1 && t.size(0) == range.size(), ConfigError,
             "head shard tensor '{}' must have {} rows (classes [{}, {})), got {}", name, range.size(), range.start,
             range.end, t.defined() && t.dim() >= 1 ? t.size(0) : -1);
    archive.write("t." + name, t.detach().to(torch::kCPU).contiguous());
    names.push_back(name);
  }
  nlohmann::json meta = {{"format", "fv-head-shard"}, {"version", kHeadShardVersion}, {"step", step},
                         {"rank", rank}, {"world", world}, {"num_classes", num_classes},
                         {"start", range.start}, {"end", range.end}, {"tensors", names}};
  archive.write("meta", c10::IValue(meta.dump()));
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("cannot create head shard folder '{}': {}", dir.string(), ec.message()));
  const auto path = head_shard_path(dir, step, rank, world);
  save_archive_atomic(archive, path, "head shard");
}

std::map<std::string, torch::Tensor> load_head_range(const fs::path& dir, int64_t step, int64_t num_classes,
                                                     ClassRange range) {
  FV_CHECK(range.start >= 0 && range.start <= range.end && range.end <= num_classes, ConfigError,
           "class range [{}, {}) is not within [0, {})", range.start, range.end, num_classes);
  const auto files = list_shards(dir, step);
  // Pick a world size whose ranks are all present.
  std::map<int, std::map<int, fs::path>> by_world;
  for (const auto& f : files) by_world[f.world][f.rank] = f.path;
  int world = 0;
  for (const auto& [w, ranks] : by_world) {
    if (static_cast<int>(ranks.size()) == w && ranks.rbegin()->first == w - 1) {
      world = w;
      break;
    }
  }
  if (world == 0) {
    if (by_world.empty()) {
      throw IoError(fmt::format("no head shard file of step {} in '{}' (expected {})", step, dir.string(),
                                head_shard_path(dir, step, 0, 1).filename().string()));
    }
    const auto& [w, ranks] = *by_world.begin();
    for (int r = 0; r < w; ++r) {
      if (!ranks.count(r)) throw IoError(fmt::format("head shard '{}' is missing", head_shard_path(dir, step, r, w).string()));
    }
  }
  std::map<std::string, std::vector<torch::Tensor>> pieces;
  std::set<std::string> expected_names;
  int64_t covered = range.start;
  for (int r = 0; r < world; ++r) {
    const ClassRange shard = shard_range(num_classes, world, r);
    const auto path = by_world[world][r];
    if (shard.end <= range.start || shard.start >= range.end) continue;
    torch::serialize::InputArchive archive;
    try {
      archive.load_from(path.string());
    } catch (const c10::Error& e) {
      throw FormatError(fmt::format("'{}': cannot read head shard: {}", path.string(), e.what_without_backtrace()));
    }
    const auto meta = read_meta(archive, path);
    if (meta.value("num_classes", int64_t{-1}) != num_classes || meta.value("start", int64_t{-1}) != shard.start ||
        meta.value("end", int64_t{-1}) != shard.end || meta.value("step", int64_t{-1}) != step) {
      throw FormatError(fmt::format("'{}': holds step {} classes [{}, {}) of {}, expected step {} classes [{}, {}) of {}",
                                    path.string(), meta.value("step", int64_t{-1}), meta.value("start", int64_t{-1}),
                                    meta.value("end", int64_t{-1}), meta.value("num_classes", int64_t{-1}), step,
                                    shard.start, shard.end, num_classes));
    }
    std::set<std::string> names;
    for (const auto& n : meta.at("tensors")) names.insert(n.get<std::string>());
    if (expected_names.empty()) {
      expected_names = names;
    } else if (names != expected_names) {
      throw FormatError(fmt::format("'{}': holds other tensors than the other shards", path.string()));
    }
    const int64_t lo = std::max(shard.start, range.start), hi = std::min(shard.end, range.end);
    FV_CHECK(lo == covered, FormatError, "'{}': shards do not cover class {}", path.string(), covered);
    for (const auto& name : names) {
      torch::Tensor t;
      try {
        archive.read("t." + name, t);
      } catch (const c10::Error& e) {
        throw FormatError(fmt::format("'{}': tensor '{}' unreadable: {}", path.string(), name, e.what_without_backtrace()));
      }
      FV_CHECK(t.dim() >= 1 && t.size(0) == shard.size(), FormatError, "'{}': tensor '{}' has {} rows, expected {}",
               path.string(), name, t.dim() >= 1 ? t.size(0) : -1, shard.size());
      pieces[name].push_back(t.narrow(0, lo - shard.start, hi - lo));
    }
    covered = hi;
  }
  std::map<std::string, torch::Tensor> out;
  if (range.size() == 0) return out;
  for (auto& [name, list] : pieces) {
    for (std::size_t i = 1; i < list.size(); ++i) {
      FV_CHECK(list[i].sizes().slice(1) == list[0].sizes().slice(1) && list[i].scalar_type() == list[0].scalar_type(),
               FormatError, "head shards of step {} in '{}' disagree on the shape or type of '{}'", step, dir.string(),
               name);
    }
    out[name] = torch::cat(list, 0).contiguous();
  }
  return out;
}

int remove_stale_shards(const fs::path& dir, int64_t keep_step) {
  static const std::regex re(R"(head-shard-(\d+)-of-(\d+)\.step-(\d+)\.fvc)");
  int removed = 0;
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) return 0;
  std::vector<fs::path> stale;
  for (const auto& entry : fs::directory_iterator(dir)) {
    std::smatch m;
    const std::string name = entry.path().filename().string();
    if (std::regex_match(name, m, re) && std::stoll(m[3].str()) != keep_step) stale.push_back(entry.path());
  }
  for (const auto& p : stale) {
    if (!fs::remove(p, ec) || ec) throw IoError(fmt::format("cannot remove stale head shard '{}': {}", p.string(), ec.message()));
    ++removed;
  }
  return removed;
}

}  // namespace fv
