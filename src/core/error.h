// The project's error hierarchy and the exit code each kind of error maps to.
#pragma once

#include <stdexcept>
#include <string>

namespace fv {

// Base of every error the project throws on purpose. Anything else reaching a main() is a bug.
class Error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

// A bad option, config key or value, or an invalid combination of them (the user's command is wrong).
class ConfigError : public Error {
 public:
  using Error::Error;
};

// A file or folder could not be opened, read, written or renamed.
class IoError : public Error {
 public:
  using Error::Error;
};

// A file was read but its content does not follow its format (bad header, bad line, bad opcode...).
class FormatError : public Error {
 public:
  using Error::Error;
};

// Well-formed input whose values cannot be used (NaN loss, empty dataset, too many failures...).
class DataError : public Error {
 public:
  using Error::Error;
};

// Exit codes shared by every executable: scripts can tell a wrong command from bad data from a bug.
enum ExitCode : int {
  kExitOk = 0,
  kExitInternal = 1,     // a bug or an unexpected library exception
  kExitConfig = 2,       // usage or configuration error: fix the command line or the INI file
  kExitIo = 3,           // an input could not be read or an output could not be written
  kExitData = 4,         // FormatError or DataError: the input data is malformed or unusable
  kExitInterrupted = 130 // stopped by SIGINT/SIGTERM after saving its state
};

// The exit code for an exception caught at the top of a main(). std::filesystem::filesystem_error (a path
// the OS refused) maps to kExitIo like IoError; any other non-fv exception to kExitInternal.
int exit_code_for(const std::exception& e) noexcept;

}  // namespace fv
