// google-benchmark programs: the machine line's facts in google-benchmark's context block.
#pragma once

#include <string>

namespace fv::bench {

// google-benchmark programs: adds the same facts to the context block (console and JSON output) under the
// keys fv_machine (the whole line), fv_cpu, fv_cores_available, fv_threads, fv_device, fv_date, fv_load_1min.
// Requires: called before benchmark::RunSpecifiedBenchmarks.
void add_machine_context(const std::string& threads, const std::string& device = "CPU");

}  // namespace fv::bench
