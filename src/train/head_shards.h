// Head shard files: each rank saves the rows of the sharded classifier it owns (weight and optimizer
// state), and a run with any other number of ranks reads back its own class range from them.
//
// File: <dir>/head-shard-<rank>-of-<world>.step-<step>.fvc, written atomically; a LibTorch archive
// (torch::serialize) holding "meta" (a JSON string: {"format": "fv-head-shard", "version": 1, "step",
// "rank", "world", "num_classes", "start", "end", "tensors": [names]}) and one tensor "t.<name>" per name,
// each [end - start, ...] (row i is class start + i), stored on CPU.
#pragma once

#include <torch/torch.h>

#include <cstdint>
#include <filesystem>
#include <map>
#include <string>

#include "train/class_range.h"

namespace fv {

inline constexpr int kHeadShardVersion = 1;

// The shard file name for (step, rank, world).
std::filesystem::path head_shard_path(const std::filesystem::path& dir, int64_t step, int rank, int world);

// Saves this rank's rows. Requires 0 <= rank < world, range within [0, num_classes), `tensors` non-empty,
// names of [A-Za-z0-9_.]+ and every tensor [range.size(), ...]. Creates `dir` when missing.
// Throws ConfigError on bad arguments, IoError when the file cannot be written (nothing half-written is
// left under the final name).
void save_head_shard(const std::filesystem::path& dir, int64_t step, int rank, int world, int64_t num_classes,
                     ClassRange range, const std::map<std::string, torch::Tensor>& tensors);

// Reads rows [range.start, range.end) of every named tensor from the shard files of `step` in `dir`,
// whatever world size wrote them (the files of one complete world size are used: all of its ranks
// present). Ensures: each returned tensor is [range.size(), ...] on CPU, bit-identical to the saved rows.
// Throws IoError naming the missing file when no world size's set is complete, FormatError naming the
// file when a shard is corrupt, of an unknown version, or disagrees on num_classes, tensor names or shapes.
std::map<std::string, torch::Tensor> load_head_range(const std::filesystem::path& dir, int64_t step,
                                                     int64_t num_classes, ClassRange range);

// The optimizer state of `param` as named tensors shaped like `param` (so a head shard can store them row
// by row): SGD "momentum_buffer"; AdamW "exp_avg", "exp_avg_sq" (and "max_exp_avg_sq" when amsgrad).
// Empty when the optimizer holds no state for `param` yet (before its first step, or SGD without momentum).
// Works with LibTorch 1.13 (state keyed by strings) and 2.x (keyed by TensorImpl pointers).
// Throws ConfigError for an optimizer other than SGD and AdamW.
std::map<std::string, torch::Tensor> optimizer_state_rows(torch::optim::Optimizer& optimizer, const torch::Tensor& param);

// Installs state read back by load_head_range (names as above; other names, e.g. "weight", are ignored) as
// `param`'s optimizer state, on param's device; AdamW's step counter becomes `step`.
// Throws ConfigError for another optimizer or when a tensor's shape differs from param's.
void set_optimizer_state_rows(torch::optim::Optimizer& optimizer, const torch::Tensor& param,
                              const std::map<std::string, torch::Tensor>& rows, int64_t step);

// Deletes the head shard files in `dir` of every step other than keep_step (call on rank 0 after all
// ranks saved keep_step, e.g. after a barrier). Returns how many files were removed. Throws IoError.
int remove_stale_shards(const std::filesystem::path& dir, int64_t keep_step);

}  // namespace fv
