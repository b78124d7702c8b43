// Starting several worker processes at once (one per rank) with their own environment, waiting for all of
// them with a deadline, and killing them all when it passes, so that a hung collective never hangs CI.
#pragma once

#include <filesystem>
#include <map>
#include <string>
#include <vector>

namespace fv::testing {

struct ProcessSpec {
  std::vector<std::string> argv;              // argv[0] is the executable's path
  std::map<std::string, std::string> env;     // added to (or replacing in) the test's environment
  std::filesystem::path output;               // stdout + stderr go here
};

struct ProcessResult {
  int code = -1;          // exit status, or -1 when killed by a signal (including the deadline)
  bool timed_out = false;
  std::string output;     // the content of the output file
};

// Starts every process, then waits for all; past `timeout_s` seconds the remaining ones get SIGKILL.
// Throws std::runtime_error when a process cannot be started.
std::vector<ProcessResult> run_concurrently(const std::vector<ProcessSpec>& specs, double timeout_s);

// A TCP port on 127.0.0.1 that was free a moment ago (bound to port 0, read back, closed).
int free_loopback_port();

}  // namespace fv::testing
