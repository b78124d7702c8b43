// The machine line every benchmark prints with its figures: CPU model, cores available, threads used, device, date.
#pragma once

#include <string>

namespace fv::bench {

struct MachineInfo {
  std::string cpu_model;    // /proc/cpuinfo "model name" (or "Processor"/"cpu model"); "unknown CPU" if absent
  int cores_available = 1;  // CPUs in this process's affinity mask (sched_getaffinity), at least 1
  std::string date_utc;     // now, ISO 8601 UTC ("2026-11-23T14:20:00Z")
  double load_1min = -1;    // /proc/loadavg's 1-minute load average (-1 if unreadable): shared machines
};

// Reads /proc/cpuinfo and the affinity mask. Never throws: missing information is reported as unknown.
MachineInfo probe_machine();

// One line for logs and the summary table (no trailing newline). `threads` is a count ("2") or a range
// ("1..2") when the program sweeps thread counts:
//   "machine: <cpu model>, <n> cores available | threads: <threads> | device: <device> | load: <1-min load
//   average at start> | date: <date>"  (a load above the core count means other work shared the cores)
// `device` is "CPU" for torch-free programs or what torch_device_summary() returns.
std::string machine_line(const std::string& threads, const std::string& device = "CPU");

// Prints "# " + machine_line(threads, device) + "\n" to stdout (flushed), so scripts can grep "^# machine:".
void print_machine_line(const std::string& threads, const std::string& device = "CPU");

// One figure in a fixed, greppable format (tab-separated, printed to stdout and flushed):
//   "RESULT\t<stage>\t<program>\t<setting>\t<value>\t<unit>\t<threads>"
// scripts/benchmarks.sh turns these lines into out/benchmarks/summary.md.
void print_result(const std::string& stage, const std::string& program, const std::string& setting, double value,
                  const std::string& unit, int threads);

}  // namespace fv::bench
