// Which classes a rank owns when the classifier is sharded across ranks (Partial FC, head shard files).
#pragma once

#include <cstdint>

#include <fmt/format.h>

#include "core/error.h"

namespace fv {

// The half-open class interval [start, end).
struct ClassRange {
  int64_t start = 0;
  int64_t end = 0;
  int64_t size() const { return end - start; }
  bool contains(int64_t c) const { return c >= start && c < end; }
  bool operator==(const ClassRange& o) const { return start == o.start && end == o.end; }
};

// Rank `rank`'s contiguous shard of `num_classes` classes among `world` ranks, as insightface's Partial FC:
// the first num_classes % world ranks get one class more. Requires num_classes >= world >= 1 (every rank
// owns at least one class) and 0 <= rank < world; throws ConfigError otherwise.
inline ClassRange shard_range(int64_t num_classes, int world, int rank) {
  if (world < 1 || rank < 0 || rank >= world) {
    throw ConfigError(fmt::format("rank {} is not a rank of a world of {}", rank, world));
  }
  if (num_classes < world) {
    throw ConfigError(fmt::format("{} classes cannot be sharded over {} ranks (each needs at least one)",
                                  num_classes, world));
  }
  const int64_t base = num_classes / world;
  const int64_t extra = num_classes % world;
  ClassRange r;
  r.start = base * rank + (rank < extra ? rank : extra);
  r.end = r.start + base + (rank < extra ? 1 : 0);
  return r;
}

}  // namespace fv
