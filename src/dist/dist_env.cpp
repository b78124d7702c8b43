// Parsing the torchrun environment variables into a DistEnv.
#include "dist/dist_env.h"

#include <cerrno>
#include <cstdlib>
#include <limits>

#include <fmt/format.h>

#include "core/error.h"

namespace fv {
namespace {

// Strict integer: optional sign, digits only, fits in int; leading/trailing spaces are rejected too.
int parse_int(const std::string& name, const std::string& value) {
  if (value.empty()) throw ConfigError(fmt::format("{} is set but empty (expected an integer)", name));
  errno = 0;
  char* end = nullptr;
  const long v = std::strtol(value.c_str(), &end, 10);
  if (end == value.c_str() || *end != '\0' || value.front() == ' ' || value.front() == '\t') {
    throw ConfigError(fmt::format("{}={} is not an integer", name, value));
  }
  if (errno == ERANGE || v < std::numeric_limits<int>::min() || v > std::numeric_limits<int>::max()) {
    throw ConfigError(fmt::format("{}={} is out of range", name, value));
  }
  return static_cast<int>(v);
}

}  // namespace

std::optional<std::string> process_env(const std::string& name) {
  const char* v = std::getenv(name.c_str());
  if (v == nullptr) return std::nullopt;
  return std::string(v);
}

DistEnv parse_dist_env(const EnvLookup& lookup) {
  DistEnv env;
  const auto rank = lookup("RANK");
  const auto world = lookup("WORLD_SIZE");
  if (!rank && !world) return env;
  if (!world) throw ConfigError(fmt::format("RANK={} is set but WORLD_SIZE is not", *rank));
  if (!rank) throw ConfigError(fmt::format("WORLD_SIZE={} is set but RANK is not", *world));
  env.world_size = parse_int("WORLD_SIZE", *world);
  if (env.world_size < 1) throw ConfigError(fmt::format("WORLD_SIZE={} must be >= 1", *world));
  env.rank = parse_int("RANK", *rank);
  if (env.rank < 0) throw ConfigError(fmt::format("RANK={} must be >= 0", *rank));
  if (env.rank >= env.world_size) {
    throw ConfigError(fmt::format("RANK={} must be < WORLD_SIZE={}", *rank, *world));
  }
  env.local_world_size = env.world_size;
  if (const auto v = lookup("LOCAL_WORLD_SIZE")) {
    env.local_world_size = parse_int("LOCAL_WORLD_SIZE", *v);
    if (env.local_world_size < 1 || env.local_world_size > env.world_size) {
      throw ConfigError(fmt::format("LOCAL_WORLD_SIZE={} must be in [1, WORLD_SIZE={}]", *v, *world));
    }
  }
  if (const auto v = lookup("LOCAL_RANK")) {
    env.local_rank = parse_int("LOCAL_RANK", *v);
    if (env.local_rank < 0 || env.local_rank >= env.local_world_size) {
      throw ConfigError(fmt::format("LOCAL_RANK={} must be in [0, {})", *v, env.local_world_size));
    }
  } else {
    env.local_rank = env.rank % env.local_world_size;
  }
  if (const auto v = lookup("MASTER_ADDR")) env.master_addr = *v;
  if (const auto v = lookup("MASTER_PORT")) {
    env.master_port = parse_int("MASTER_PORT", *v);
    if (env.master_port < 1 || env.master_port > 65535) {
      throw ConfigError(fmt::format("MASTER_PORT={} must be in [1, 65535]", *v));
    }
  } else if (env.world_size > 1) {
    throw ConfigError(fmt::format("MASTER_PORT is not set (required when WORLD_SIZE={})", env.world_size));
  }
  if (env.world_size > 1 && env.master_addr.empty()) {
    throw ConfigError(fmt::format("MASTER_ADDR is not set (required when WORLD_SIZE={})", env.world_size));
  }
  return env;
}

std::string describe(const DistEnv& env) {
  if (!env.distributed()) return "single process";
  return fmt::format("rank {}/{} (local {}/{}), master {}:{}", env.rank, env.world_size, env.local_rank,
                     env.local_world_size, env.master_addr, env.master_port);
}

}  // namespace fv
