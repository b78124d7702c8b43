// Process-wide set-up every executable does first: CPU count, allocator tuning, stop signals.
#pragma once

#include <atomic>

namespace fv {

// CPUs this process may really use: the affinity mask, further limited by a cgroup CPU quota
// (containers and CI runners often expose more cores than they grant). At least 1.
int available_cores();

// `requested` > 0 is taken as is; 0 means OMP_NUM_THREADS if set, else available_cores().
int resolve_threads(int requested);

// Keeps glibc malloc from returning every large block to the kernel (LibTorch allocates and frees
// multi-megabyte tensors each step; with the default thresholds most of its time goes to page faults).
// Harmless when tcmalloc is linked instead (its mallopt does nothing).
void tune_allocator();

// SIGINT/SIGTERM set a flag instead of killing the process; long loops poll stop_requested() and
// save their state. A second signal kills the process the usual way.
void install_stop_handlers();
bool stop_requested();
void request_stop();        // as if a signal had arrived (tests)
void clear_stop_request();  // tests

}  // namespace fv
