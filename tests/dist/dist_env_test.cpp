// torchrun environment parsing: golden environments and malformed values whose errors name the variable.
#include "dist/dist_env.h"

#include <gtest/gtest.h>

#include <map>

#include "core/error.h"

namespace fv {
namespace {

EnvLookup env_of(std::map<std::string, std::string> vars) {
  return [vars](const std::string& name) -> std::optional<std::string> {
    const auto it = vars.find(name);
    if (it == vars.end()) return std::nullopt;
    return it->second;
  };
}

std::string error_of(std::map<std::string, std::string> vars) {
  try {
    parse_dist_env(env_of(std::move(vars)));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(DistEnv, NoVariablesIsASingleProcess) {
  const DistEnv env = parse_dist_env(env_of({}));
  EXPECT_EQ(env.rank, 0);
  EXPECT_EQ(env.world_size, 1);
  EXPECT_EQ(env.local_rank, 0);
  EXPECT_FALSE(env.distributed());
  EXPECT_TRUE(env.is_main());
  EXPECT_EQ(describe(env), "single process");
}

TEST(DistEnv, TorchrunVariables) {
  const DistEnv env = parse_dist_env(env_of({{"RANK", "3"}, {"WORLD_SIZE", "4"}, {"LOCAL_RANK", "1"},
                                             {"LOCAL_WORLD_SIZE", "2"}, {"MASTER_ADDR", "10.0.0.1"},
                                             {"MASTER_PORT", "29511"}}));
  EXPECT_EQ(env.rank, 3);
  EXPECT_EQ(env.world_size, 4);
  EXPECT_EQ(env.local_rank, 1);
  EXPECT_EQ(env.local_world_size, 2);
  EXPECT_EQ(env.master_addr, "10.0.0.1");
  EXPECT_EQ(env.master_port, 29511);
  EXPECT_TRUE(env.distributed());
  EXPECT_FALSE(env.is_main());
  EXPECT_EQ(describe(env), "rank 3/4 (local 1/2), master 10.0.0.1:29511");
}

TEST(DistEnv, LocalRankDefaultsFromRankAndWorldOfOneNeedsNoMaster) {
  const DistEnv a = parse_dist_env(env_of({{"RANK", "1"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "h"}, {"MASTER_PORT", "1"}}));
  EXPECT_EQ(a.local_rank, 1);
  EXPECT_EQ(a.local_world_size, 2);
  const DistEnv b = parse_dist_env(env_of({{"RANK", "0"}, {"WORLD_SIZE", "1"}}));
  EXPECT_EQ(b.world_size, 1);
  EXPECT_FALSE(b.distributed());
}

TEST(DistEnv, MalformedValuesNameTheVariable) {
  const std::map<std::string, std::string> ok = {{"RANK", "0"}, {"WORLD_SIZE", "2"}, {"MASTER_ADDR", "127.0.0.1"},
                                                 {"MASTER_PORT", "29500"}};
  auto with = [&](const std::string& k, const std::string& v) {
    auto m = ok;
    m[k] = v;
    return m;
  };
  auto without = [&](const std::string& k) {
    auto m = ok;
    m.erase(k);
    return m;
  };
  EXPECT_EQ(error_of(with("RANK", "abc")), "RANK=abc is not an integer");
  EXPECT_EQ(error_of(with("RANK", "1x")), "RANK=1x is not an integer");
  EXPECT_EQ(error_of(with("RANK", " 1")), "RANK= 1 is not an integer");
  EXPECT_EQ(error_of(with("RANK", "2")), "RANK=2 must be < WORLD_SIZE=2");
  EXPECT_EQ(error_of(with("RANK", "-1")), "RANK=-1 must be >= 0");
  EXPECT_EQ(error_of(with("WORLD_SIZE", "0")), "WORLD_SIZE=0 must be >= 1");
  EXPECT_EQ(error_of(with("WORLD_SIZE", "")), "WORLD_SIZE is set but empty (expected an integer)");
  EXPECT_EQ(error_of(with("WORLD_SIZE", "99999999999")), "WORLD_SIZE=99999999999 is out of range");
  EXPECT_EQ(error_of(with("MASTER_PORT", "70000")), "MASTER_PORT=70000 must be in [1, 65535]");
  EXPECT_EQ(error_of(with("MASTER_PORT", "http")), "MASTER_PORT=http is not an integer");
  EXPECT_EQ(error_of(with("LOCAL_RANK", "2")), "LOCAL_RANK=2 must be in [0, 2)");
  EXPECT_EQ(error_of(with("LOCAL_WORLD_SIZE", "3")), "LOCAL_WORLD_SIZE=3 must be in [1, WORLD_SIZE=2]");
  EXPECT_EQ(error_of(without("MASTER_ADDR")), "MASTER_ADDR is not set (required when WORLD_SIZE=2)");
  EXPECT_EQ(error_of(without("MASTER_PORT")), "MASTER_PORT is not set (required when WORLD_SIZE=2)");
  EXPECT_EQ(error_of(without("RANK")), "WORLD_SIZE=2 is set but RANK is not");
  EXPECT_EQ(error_of(without("WORLD_SIZE")), "RANK=0 is set but WORLD_SIZE is not");
}

}  // namespace
}  // namespace fv
