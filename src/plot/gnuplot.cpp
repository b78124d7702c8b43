// gnuplot: program look-up in PATH, script quoting, and one run through posix_spawn (no shell).
#include "plot/gnuplot.h"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cctype>
#include <cerrno>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "plot/scratch_dir.h"

extern char** environ;

namespace fv::plot {
namespace {

bool is_executable_file(const std::filesystem::path& p) {
  std::error_code ec;
  return std::filesystem::is_regular_file(p, ec) && ::access(p.c_str(), X_OK) == 0;
}

// Runs `program script` with stdout to /dev/null and stderr to `errors`; returns waitpid's status.
int run_gnuplot(const std::filesystem::path& program, const std::filesystem::path& script,
                const std::filesystem::path& errors) {
  posix_spawn_file_actions_t actions;
  posix_spawn_file_actions_init(&actions);
  posix_spawn_file_actions_addopen(&actions, STDIN_FILENO, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDOUT_FILENO, "/dev/null", O_WRONLY, 0);
  posix_spawn_file_actions_addopen(&actions, STDERR_FILENO, errors.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
  std::string program_arg = program.string(), script_arg = script.string();
  char* argv[] = {program_arg.data(), script_arg.data(), nullptr};
  pid_t pid = 0;
  const int rc = ::posix_spawn(&pid, program.c_str(), &actions, nullptr, argv, environ);
  posix_spawn_file_actions_destroy(&actions);
  if (rc != 0) throw IoError(fmt::format("cannot start gnuplot '{}': {}", program.string(), std::strerror(rc)));
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR) throw IoError(fmt::format("cannot wait for gnuplot '{}': {}", program.string(), std::strerror(errno)));
  }
  return status;
}

std::string describe_status(int status) {
  if (WIFEXITED(status)) return fmt::format("exit status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status)) return fmt::format("killed by signal {}", WTERMSIG(status));
  return fmt::format("wait status {}", status);
}

// The last lines gnuplot wrote to stderr (its error names the script line), at most ~1000 bytes.
std::string error_tail(const std::filesystem::path& errors) {
  std::string text;
  try {
    text = read_file(errors);
  } catch (const IoError&) {
    return "";
  }
  while (!text.empty() && std::isspace(static_cast<unsigned char>(text.back()))) text.pop_back();
  if (text.size() > 1000) text = "..." + text.substr(text.size() - 1000);
  return text.empty() ? "" : ":\n" + text;
}

}  // namespace

std::string gnuplot_quoted(std::string_view text) {
  std::string out = "'";
  for (const char c : text) {
    if (c == '\'') {
      out += "''";
    } else if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
      out += ' ';
    } else {
      out += c;
    }
  }
  return out + "'";
}

std::filesystem::path find_gnuplot(const std::string& name) {
  if (name.empty()) return {};
  if (name.find('/') != std::string::npos) return is_executable_file(name) ? std::filesystem::path(name) : "";
  std::vector<std::string> names = {name};
  if (name == "gnuplot") names.insert(names.end(), {"gnuplot-nox", "gnuplot-qt", "gnuplot-x11"});
  const char* env_path = std::getenv("PATH");
  const std::string dirs = env_path != nullptr ? env_path : "/usr/local/bin:/usr/bin:/bin";
  for (const auto& candidate : names) {
    std::size_t start = 0;
    while (start <= dirs.size()) {
      const std::size_t colon = std::min(dirs.find(':', start), dirs.size());
      const std::string dir = dirs.substr(start, colon - start);
      const std::filesystem::path p = std::filesystem::path(dir.empty() ? "." : dir) / candidate;
      if (is_executable_file(p)) return p;
      start = colon + 1;
    }
  }
  return {};
}

std::string png_preamble(const std::filesystem::path& png, PngSize size) {
  return fmt::format("set terminal pngcairo size {},{} noenhanced\nset output {}\n", size.width, size.height,
                     gnuplot_quoted(png.string()));
}

void render_png(const std::string& body, const std::filesystem::path& png, PngSize size, const std::string& gnuplot) {
  const std::filesystem::path program = find_gnuplot(gnuplot);
  if (program.empty()) {
    throw IoError(fmt::format("cannot draw '{}': gnuplot ('{}') was not found{}; install gnuplot (Debian: "
                              "gnuplot-nox) or name the program in the gnuplot setting",
                              png.string(), gnuplot, gnuplot.find('/') == std::string::npos ? " in PATH" : ""));
  }
  const ScratchDir scratch;
  AtomicOutput out(png);
  const auto script = scratch.write("plot.gp", png_preamble(out.temp_path(), size) + body);
  const auto errors = scratch.path() / "gnuplot.err";
  const int status = run_gnuplot(program, script, errors);
  std::error_code ec;
  const bool drawn = std::filesystem::is_regular_file(out.temp_path(), ec) &&
                     std::filesystem::file_size(out.temp_path(), ec) > 0 && !ec;
  if (status != 0 || !drawn) {
    throw IoError(fmt::format("gnuplot ('{}') failed to draw '{}' ({}{}){}", program.string(), png.string(),
                              describe_status(status), drawn ? "" : ", no image written", error_tail(errors)));
  }
  out.commit();
}

}  // namespace fv::plot
