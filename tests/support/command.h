// Running an executable from a test: exit code and combined stdout + stderr.
#pragma once

#include <string>

namespace fv::testing {

struct CommandResult {
  int code = -1;       // exit status, or -1 when the process did not exit normally (killed by a signal)
  std::string output;  // stdout and stderr, interleaved
};

// Runs `command` through /bin/sh with stderr redirected into stdout and waits for it.
CommandResult run_command(const std::string& command);

}  // namespace fv::testing
