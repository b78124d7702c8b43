// The torchrun-style environment of a distributed job (RANK, WORLD_SIZE, LOCAL_RANK, MASTER_ADDR, MASTER_PORT),
// parsed once into a typed struct. Torch-free.
#pragma once

#include <cstdint>
#include <functional>
#include <optional>
#include <string>

namespace fv {

struct DistEnv {
  int rank = 0;              // RANK: this process among all processes, in [0, world_size)
  int world_size = 1;        // WORLD_SIZE: number of processes of the job
  int local_rank = 0;        // LOCAL_RANK: this process among the processes of its machine (picks the GPU)
  int local_world_size = 1;  // LOCAL_WORLD_SIZE (optional; defaults to world_size when absent)
  std::string master_addr;   // MASTER_ADDR: host of rank 0 (it hosts the rendezvous store)
  int master_port = 29500;   // MASTER_PORT: port of the rendezvous store (torchrun's default 29500)

  bool distributed() const { return world_size > 1; }
  bool is_main() const { return rank == 0; }
};

// Looks a variable up: returns its value or nullopt when unset. The default reads the process environment.
using EnvLookup = std::function<std::optional<std::string>(const std::string& name)>;
std::optional<std::string> process_env(const std::string& name);

// Parses the torchrun variables.
// Ensures: with neither RANK nor WORLD_SIZE set, a single-process DistEnv (rank 0, world 1); otherwise
// 0 <= rank < world_size, 0 <= local_rank < local_world_size, and when world_size > 1 a non-empty
// master_addr and 1 <= master_port <= 65535.
// Throws ConfigError naming the variable and its value: "RANK=abc is not an integer", "RANK=2 must be <
// WORLD_SIZE=2", "WORLD_SIZE=2 is set but RANK is not", "MASTER_ADDR is not set (required when WORLD_SIZE=2)".
DistEnv parse_dist_env(const EnvLookup& lookup = process_env);

// One line for logs: "rank 1/4 (local 1/2), master 10.0.0.1:29500" or "single process".
std::string describe(const DistEnv& env);

}  // namespace fv
