// CPU counting (affinity + cgroup v1/v2 quotas), malloc tuning and stop-signal handling.
#include "core/runtime.h"

#include <malloc.h>
#include <sched.h>

#include <algorithm>
#include <cmath>
#include <csignal>
#include <cstdlib>
#include <fstream>
#include <string>

namespace fv {
namespace {

std::atomic<bool> g_stop{false};

// CPU limit from the cgroup quota, or 0 when there is none.
int cgroup_cpu_limit() {
  std::ifstream v2("/sys/fs/cgroup/cpu.max");  // cgroup v2: "max 100000" or "200000 100000"
  std::string quota, period;
  if (v2 >> quota >> period && quota != "max") {
    const double q = std::atof(quota.c_str()), p = std::atof(period.c_str());
    if (q > 0 && p > 0) return std::max(1, static_cast<int>(std::ceil(q / p)));
  }
  std::ifstream q1("/sys/fs/cgroup/cpu/cpu.cfs_quota_us"), p1("/sys/fs/cgroup/cpu/cpu.cfs_period_us");
  long long q = -1, p = 0;
  if (q1 >> q && p1 >> p && q > 0 && p > 0) return std::max(1, static_cast<int>(std::ceil(double(q) / double(p))));
  return 0;
}

void on_signal(int sig) {
  if (g_stop.exchange(true)) {
    std::signal(sig, SIG_DFL);
    std::raise(sig);
  }
}

}  // namespace

int available_cores() {
  int cores = 0;
  cpu_set_t set;
  CPU_ZERO(&set);
  if (sched_getaffinity(0, sizeof set, &set) == 0) cores = CPU_COUNT(&set);
  if (cores <= 0) cores = 1;
  const int limit = cgroup_cpu_limit();
  return limit > 0 ? std::min(cores, limit) : cores;
}

int resolve_threads(int requested) {
  if (requested > 0) return requested;
  if (const char* omp = std::getenv("OMP_NUM_THREADS")) {
    const int n = std::atoi(omp);
    if (n > 0) return n;
  }
  return available_cores();
}

void tune_allocator() {
  // With tcmalloc linked, mallopt is its no-op stub. Serve large blocks from the heap (no mmap/munmap per tensor) and only trim beyond 1 GiB free.
  mallopt(M_MMAP_MAX, 0);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
  mallopt(M_TOP_PAD, 64 << 20);
}

void install_stop_handlers() {
  struct sigaction action {};
  action.sa_handler = on_signal;
  sigemptyset(&action.sa_mask);
  sigaction(SIGINT, &action, nullptr);
  sigaction(SIGTERM, &action, nullptr);
}

bool stop_requested() { return g_stop.load(std::memory_order_relaxed); }

void request_stop() { g_stop = true; }

void clear_stop_request() { g_stop = false; }

}  // namespace fv
