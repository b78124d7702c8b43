// The current time as ISO 8601 UTC ("2026-12-02T17:04:31Z"): the "created" field of model files, checkpoints,
// embeddings files and reports.
#pragma once

#include <string>

namespace fv {

std::string iso_time_now();

}  // namespace fv
