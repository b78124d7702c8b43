// Machine facts for benchmark outputs: /proc/cpuinfo, sched_getaffinity, the date.
#include "common/machine_info.h"

#include <sched.h>

#include <ctime>
#include <fmt/format.h>
#include <fstream>

namespace fv::bench {
namespace {

std::string trim(std::string s) {
  const auto b = s.find_first_not_of(" \t");
  const auto e = s.find_last_not_of(" \t\r\n");
  return b == std::string::npos ? std::string() : s.substr(b, e - b + 1);
}

std::string cpu_model() {
  std::ifstream in("/proc/cpuinfo");
  std::string line;
  while (std::getline(in, line)) {
    const auto colon = line.find(':');
    if (colon == std::string::npos) continue;
    const std::string key = trim(line.substr(0, colon));
    // x86: "model name"; some ARM kernels: "Processor" / "cpu model".
    if (key == "model name" || key == "Processor" || key == "cpu model") {
      const std::string value = trim(line.substr(colon + 1));
      if (!value.empty()) return value;
    }
  }
  return "unknown CPU";
}

int affinity_cores() {
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof(set), &set) != 0) return 1;
  const int n = CPU_COUNT(&set);
  return n > 0 ? n : 1;
}

std::string now_utc() {
  const std::time_t t = std::time(nullptr);
  std::tm tm{};
  gmtime_r(&t, &tm);
  char buf[32];
  std::strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
  return buf;
}

double load_average() {
  std::ifstream in("/proc/loadavg");
  double load = -1;
  return (in >> load) ? load : -1;
}

}  // namespace

MachineInfo probe_machine() {
  MachineInfo m;
  m.cpu_model = cpu_model();
  m.cores_available = affinity_cores();
  m.date_utc = now_utc();
  m.load_1min = load_average();
  return m;
}

std::string machine_line(const std::string& threads, const std::string& device) {
  const MachineInfo m = probe_machine();
  return fmt::format("machine: {}, {} cores available | threads: {} | device: {} | load: {:.2f} | date: {}",
                     m.cpu_model, m.cores_available, threads, device, m.load_1min, m.date_utc);
}

void print_machine_line(const std::string& threads, const std::string& device) {
  fmt::print("# {}\n", machine_line(threads, device));
  std::fflush(stdout);
}

void print_result(const std::string& stage, const std::string& program, const std::string& setting, double value,
                  const std::string& unit, int threads) {
  fmt::print("RESULT\t{}\t{}\t{}\t{:.6g}\t{}\t{}\n", stage, program, setting, value, unit, threads);
  std::fflush(stdout);
}

}  // namespace fv::bench
