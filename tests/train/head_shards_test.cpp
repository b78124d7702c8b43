// Head shard files: save with 3 ranks, read back any class range (as 2 ranks would) bit for bit; missing,
// corrupt and mismatched files are errors naming the file; stale steps are removed.
#include "train/head_shards.h"

#include <gtest/gtest.h>

#include "core/atomic_file.h"
#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

namespace fs = std::filesystem;

struct Saved {
  torch::Tensor weight, momentum;
};

Saved save_world(const fs::path& dir, int64_t step, int world, int64_t classes) {
  torch::manual_seed(21);
  Saved s{torch::randn({classes, 5}), torch::randn({classes, 5}).to(torch::kDouble)};
  for (int r = 0; r < world; ++r) {
    const auto range = shard_range(classes, world, r);
    save_head_shard(dir, step, r, world, classes, range,
                    {{"weight", s.weight.narrow(0, range.start, range.size())},
                     {"momentum_buffer", s.momentum.narrow(0, range.start, range.size())}});
  }
  return s;
}

std::string error_of(const std::function<void()>& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "(no error)";
}

TEST(HeadShards, SavedWithThreeRanksReadBackAsTwoBitForBit) {
  testing::TempDir tmp;
  const auto saved = save_world(tmp.path(), 120, 3, 11);
  EXPECT_TRUE(fs::exists(tmp.path() / "head-shard-2-of-3.step-120.fvc"));
  std::vector<torch::Tensor> w, m;
  for (int r = 0; r < 2; ++r) {
    const auto range = shard_range(11, 2, r);
    const auto rows = load_head_range(tmp.path(), 120, 11, range);
    ASSERT_EQ(rows.size(), 2u);
    EXPECT_EQ(rows.at("weight").size(0), range.size());
    EXPECT_EQ(rows.at("momentum_buffer").scalar_type(), torch::kDouble);
    w.push_back(rows.at("weight"));
    m.push_back(rows.at("momentum_buffer"));
  }
  EXPECT_TRUE(torch::equal(torch::cat(w), saved.weight));
  EXPECT_TRUE(torch::equal(torch::cat(m), saved.momentum));
  // Any range, e.g. one inside a single shard and one across all three.
  EXPECT_TRUE(torch::equal(load_head_range(tmp.path(), 120, 11, {5, 6}).at("weight"), saved.weight.narrow(0, 5, 1)));
  EXPECT_TRUE(torch::equal(load_head_range(tmp.path(), 120, 11, {1, 10}).at("weight"), saved.weight.narrow(0, 1, 9)));
}

TEST(HeadShards, ErrorsNameTheFile) {
  testing::TempDir tmp;
  save_world(tmp.path(), 7, 3, 11);
  // Another step does not exist.
  EXPECT_NE(error_of([&] { load_head_range(tmp.path(), 8, 11, {0, 11}); }).find("step 8"), std::string::npos);
  // A wrong class count.
  EXPECT_NE(error_of([&] { load_head_range(tmp.path(), 7, 12, {0, 11}); }).find("head-shard-0-of-3.step-7.fvc"),
            std::string::npos);
  // A corrupt shard.
  write_file_atomic(tmp.path() / "head-shard-1-of-3.step-7.fvc", "not a torch archive");
  const auto corrupt = error_of([&] { load_head_range(tmp.path(), 7, 11, {0, 11}); });
  EXPECT_NE(corrupt.find("head-shard-1-of-3.step-7.fvc"), std::string::npos) << corrupt;
  // A missing shard.
  fs::remove(tmp.path() / "head-shard-1-of-3.step-7.fvc");
  const auto missing = error_of([&] { load_head_range(tmp.path(), 7, 11, {0, 11}); });
  EXPECT_NE(missing.find("head-shard-1-of-3.step-7.fvc"), std::string::npos) << missing;
  EXPECT_NE(missing.find("missing"), std::string::npos) << missing;
  // Bad arguments to save.
  EXPECT_THROW(save_head_shard(tmp.path(), 1, 0, 2, 11, {0, 6}, {{"weight", torch::zeros({5, 2})}}), ConfigError);
  EXPECT_THROW(save_head_shard(tmp.path(), 1, 2, 2, 11, {0, 6}, {{"weight", torch::zeros({6, 2})}}), ConfigError);
  EXPECT_THROW(save_head_shard(tmp.path(), 1, 0, 2, 11, {0, 6}, {{"bad name", torch::zeros({6, 2})}}), ConfigError);
}

TEST(HeadShards, RemoveStaleShardsKeepsOneStep) {
  testing::TempDir tmp;
  save_world(tmp.path(), 10, 2, 5);
  save_world(tmp.path(), 20, 3, 5);
  write_file_atomic(tmp.path() / "checkpoint.fvc", "other");
  EXPECT_EQ(remove_stale_shards(tmp.path(), 20), 2);
  EXPECT_FALSE(fs::exists(head_shard_path(tmp.path(), 10, 0, 2)));
  EXPECT_TRUE(fs::exists(head_shard_path(tmp.path(), 20, 2, 3)));
  EXPECT_TRUE(fs::exists(tmp.path() / "checkpoint.fvc"));
  EXPECT_EQ(load_head_range(tmp.path(), 20, 5, {0, 5}).at("weight").size(0), 5);
}

// Optimizer state taken out with optimizer_state_rows and put into a fresh optimizer continues exactly as
// the original one (SGD momentum, AdamW moments and step).
template <class Opt, class Options>
void expect_state_round_trip(const Options& options, const std::vector<std::string>& names) {
  torch::manual_seed(4);
  const auto init = torch::randn({6, 3});
  auto grad_at = [](int64_t k) {
    torch::manual_seed(100 + k);
    return torch::randn({6, 3});
  };
  auto a = init.clone().requires_grad_(true);
  Opt opt_a({a}, options);
  EXPECT_TRUE(optimizer_state_rows(opt_a, a).empty());  // no state before the first step
  for (int64_t k = 0; k < 3; ++k) {
    a.mutable_grad() = grad_at(k);
    opt_a.step();
  }
  const auto rows = optimizer_state_rows(opt_a, a);
  ASSERT_EQ(rows.size(), names.size());
  for (const auto& n : names) EXPECT_EQ(rows.count(n), 1u) << n;
  auto b = a.detach().clone().requires_grad_(true);
  Opt opt_b({b}, options);
  std::map<std::string, torch::Tensor> stored = rows;
  stored["weight"] = b.detach();  // other names are ignored
  set_optimizer_state_rows(opt_b, b, stored, 3);
  for (int64_t k = 3; k < 5; ++k) {
    a.mutable_grad() = grad_at(k);
    b.mutable_grad() = grad_at(k);
    opt_a.step();
    opt_b.step();
  }
  EXPECT_TRUE(torch::equal(a, b));
  EXPECT_THROW(set_optimizer_state_rows(opt_b, b, {{names[0], torch::zeros({2, 3})}}, 3), ConfigError);
}

TEST(HeadShards, OptimizerStateRowsRoundTrip) {
  expect_state_round_trip<torch::optim::SGD>(torch::optim::SGDOptions(0.1).momentum(0.9).weight_decay(5e-4),
                                             {"momentum_buffer"});
  expect_state_round_trip<torch::optim::AdamW>(torch::optim::AdamWOptions(0.01), {"exp_avg", "exp_avg_sq"});
}

}  // namespace
}  // namespace fv
