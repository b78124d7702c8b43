// Maps exception types to the shared exit codes.
#include "core/error.h"

#include <filesystem>

namespace fv {

int exit_code_for(const std::exception& e) noexcept {
  if (dynamic_cast<const ConfigError*>(&e)) return kExitConfig;
  if (dynamic_cast<const IoError*>(&e)) return kExitIo;
  // std::filesystem's own errors are paths the OS refused (missing, not permitted, name too long).
  if (dynamic_cast<const std::filesystem::filesystem_error*>(&e)) return kExitIo;
  if (dynamic_cast<const FormatError*>(&e) || dynamic_cast<const DataError*>(&e)) return kExitData;
  return kExitInternal;
}

}  // namespace fv
