// Fuzz target: INI configuration files (core/options.h: OptionSet over Boost.Program_options), in memory, as
// --config would read them. The keys: fv-eval's whole configuration (eval/eval_config.h, validated after the
// parse), and a [fuzz] section with one key of every other supported type, an enum, a list, a renamed key and a
// top-level key. Seeds: fuzz/corpus/fuzz_options (every configs/*.ini, and one file setting the [fuzz] keys).
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "core/error.h"
#include "core/options.h"
#include "eval/eval_config.h"
#include "fuzz_support.h"

namespace {

enum class Mode { kFast, kExact };

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  fv::eval::EvalConfig eval;
  bool flag = false;
  int count = 3;
  std::int64_t big = -1;
  std::uint64_t unsigned_big = 7;
  float scale = 0.5f;
  double rate = 0.1;
  std::string path = "out";
  std::vector<std::string> list;
  Mode mode = Mode::kFast;
  int seed = 0;
  fv::OptionSet options("fv-fuzz", "fuzzes the INI reader");
  eval.bind(options);
  options.add("fuzz.flag", &flag, "bool")
      .add("fuzz.count", &count, "int")
      .add("fuzz.big", &big, "int64")
      .add("fuzz.unsigned", &unsigned_big, "uint64")
      .add("fuzz.scale", &scale, "float")
      .add("fuzz.rate", &rate, "double")
      .add("fuzz.path", &path, "string")
      .add("fuzz.list", &list, "list")
      .add_enum("fuzz.mode", &mode, fv::EnumNames<Mode>{{"fast", Mode::kFast}, {"exact", Mode::kExact}}, "enum")
      .add("seed", &seed, "top-level int")
      .renamed("fuzz.old_path", "fuzz.path");
  const char* argv[] = {"fv-fuzz"};
  try {
    if (options.parse(1, argv, fv::fuzz::bytes_of(data, size), "fuzz.ini")) {
      // The resolved configuration is written next to every output and hashed into every artifact.
      const std::string ini = options.resolved_ini();
      if (options.hash().size() != 16 || ini.empty()) __builtin_trap();
      eval.validate();
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
