// Adds the machine facts to google-benchmark's context (kept apart so that fv_bench_common needs no benchmark).
#include "common/machine_context.h"

#include <benchmark/benchmark.h>
#include <fmt/format.h>

#include "common/machine_info.h"

namespace fv::bench {

void add_machine_context(const std::string& threads, const std::string& device) {
  const MachineInfo m = probe_machine();
  benchmark::AddCustomContext("fv_machine", machine_line(threads, device));
  benchmark::AddCustomContext("fv_cpu", m.cpu_model);
  benchmark::AddCustomContext("fv_cores_available", std::to_string(m.cores_available));
  benchmark::AddCustomContext("fv_threads", threads);
  benchmark::AddCustomContext("fv_device", device);
  benchmark::AddCustomContext("fv_date", m.date_utc);
  benchmark::AddCustomContext("fv_load_1min", fmt::format("{:.2f}", m.load_1min));
}

}  // namespace fv::bench
