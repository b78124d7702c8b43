// The common frame of every executable's main(): runtime set-up, and exceptions mapped to exit codes.
#pragma once

#include <functional>

namespace fv {

// Runs `body` after tune_allocator() and install_stop_handlers(). Prints "PROGRAM: error: MESSAGE" for
// an exception and returns its exit code (see ExitCode); returns body's result otherwise.
int run_main(const char* program, const std::function<int()>& body);

}  // namespace fv
