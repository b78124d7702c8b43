// Python-made fixtures, once per script version.
#include "support/python_fixtures.h"

#include <fmt/format.h>
#include <unistd.h>

#include <stdexcept>

#include "core/atomic_file.h"
#include "core/sha256.h"
#include "support/command.h"
#include "support/temp_dir.h"

namespace fv::testing {

namespace fs = std::filesystem;

fs::path python_fixtures(const std::vector<std::string>& scripts, const fs::path& root, const std::string& args,
                         const std::string& probe) {
  if (run_command(fmt::format("/usr/bin/python3 -c '{}'", probe)).code != 0) return {};
  std::string identity = args;
  for (const auto& s : scripts) identity += read_file(source_dir() / s);
  const fs::path target = root / sha256_hex(identity).substr(0, 16);
  if (fs::exists(target / "done")) return target;
  const fs::path temp = target.string() + fmt::format(".tmp{}", ::getpid());
  fs::remove_all(temp);
  const CommandResult made = run_command(
      fmt::format("/usr/bin/python3 {} {} {}", (source_dir() / scripts.at(0)).string(), temp.string(), args));
  if (made.code != 0) throw std::runtime_error("fixture generator " + scripts[0] + " failed: " + made.output);
  write_file_atomic(temp / "done", "ok\n");
  std::error_code ec;
  fs::rename(temp, target, ec);  // another test process may have won the race: use its copy
  if (ec) fs::remove_all(temp);
  for (const auto& entry : fs::directory_iterator(root)) {  // older versions (hundreds of MB each)
    if (entry.path() != target && fs::exists(entry.path() / "done")) fs::remove_all(entry.path(), ec);
  }
  return target;
}

}  // namespace fv::testing
