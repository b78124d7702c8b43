// run_main: one place that turns exceptions into messages and exit codes.
#include "core/cli.h"

#include <cstdio>
#include <exception>
#include <filesystem>

#include "core/error.h"
#include "core/logging.h"
#include "core/runtime.h"

namespace fv {

int run_main(const char* program, const std::function<int()>& body) {
  try {
    tune_allocator();
    install_stop_handlers();
    return body();
  } catch (const Error& e) {
    log::error("{}: {}", program, e.what());
    return exit_code_for(e);
  } catch (const std::filesystem::filesystem_error& e) {
    log::error("{}: I/O error: {}", program, e.what());
    return exit_code_for(e);
  } catch (const std::exception& e) {
    log::error("{}: internal error: {}", program, e.what());
    return kExitInternal;
  } catch (...) {
    log::error("{}: internal error: unknown exception", program);
    return kExitInternal;
  }
}

}  // namespace fv
