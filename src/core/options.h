// Typed configuration: struct fields bound to keys that work both as `--section.key value` on the command
// line and as `key = value` under `[section]` in an INI file given with `--config`.
//
// Precedence: command line > INI file > the field's initial value (its default). Unknown keys are errors
// (with the INI file and line). `--help` lists every key with its default. After parsing, the resolved
// configuration (every key with its final value) can be written as INI and hashed.
#pragma once

#include <cstdint>
#include <filesystem>
#include <functional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "core/error.h"

namespace fv {

// Names of an enum's values, for options given as names: turned into the enum once, at parse time.
template <class E>
using EnumNames = std::vector<std::pair<std::string, E>>;

// Returns the enum value named `text`; throws ConfigError naming `key` and listing the valid names.
template <class E>
E parse_enum(const EnumNames<E>& names, std::string_view text, std::string_view key);
template <class E>
std::string enum_name(const EnumNames<E>& names, E value);

class OptionSet {
 public:
  // The largest INI file --config may name: far more than any configuration needs.
  static constexpr std::size_t kMaxConfigBytes = std::size_t{16} << 20;
  // The longest value of any key, and the longest part of a value between slashes: PATH_MAX and NAME_MAX,
  // since the longest values are paths.
  static constexpr std::size_t kMaxValueBytes = 4096;
  static constexpr std::size_t kMaxNameBytes = 255;

  // `program` and `summary` head the --help text.
  OptionSet(std::string program, std::string summary);

  // Binds `key` (`name` or `section.name`) to `*target`; its current value is the default.
  // Supported T: bool, int, int64_t, uint64_t, float, double, std::string, std::vector<std::string>.
  template <class T>
  OptionSet& add(const std::string& key, T* target, const std::string& help);

  template <class E>
  OptionSet& add_enum(const std::string& key, E* target, EnumNames<E> names, const std::string& help);

  // Bare command-line arguments fill `key` (which must be added first), `max_count` of them (-1: all).
  OptionSet& positional(const std::string& key, int max_count = 1);

  // `old_key` was renamed `new_key` (which must be added first): giving `old_key`, on the command line or in
  // the INI file, is a ConfigError that names the new key (an INI file's error also names its line).
  OptionSet& renamed(const std::string& old_key, const std::string& new_key);

  // Parses the command line (and the INI file named by --config). Returns false when the caller should
  // exit successfully without doing anything (--help or --print-config was given and printed).
  // --config must name an existing regular file (not a directory, FIFO or device) of at most
  // kMaxConfigBytes; it is checked before it is opened, so that nothing hangs or reads for long.
  // Throws ConfigError for unknown keys, malformed values, a value longer than kMaxValueBytes or with a
  // part between slashes longer than kMaxNameBytes (naming the key, and the INI file and line when it comes
  // from there), and config files that are missing, not
  // regular files, too large or unreadable (naming the path).
  bool parse(int argc, const char* const argv[]);
  // As parse(), with the INI file's content given in memory (tests, fuzzing) as if --config named a file
  // `config_name` holding `config_text`; a --config on the command line is then refused.
  bool parse(int argc, const char* const argv[], std::string_view config_text, const std::string& config_name);

  // The resolved configuration as INI text: top-level keys, then one [section] per section.
  std::string resolved_ini() const;
  // First 16 hex digits of the SHA-256 of resolved_ini(): identifies a configuration in every artifact.
  std::string hash() const;
  // Writes resolved_ini() to `path` atomically.
  void write_resolved(const std::filesystem::path& path) const;

  std::string help() const;
  // True when `key` was given on the command line or in the config file (not left at its default).
  bool given(const std::string& key) const;

 private:
  struct Binding {
    std::string key;
    std::string help;
    std::string default_text;
    std::string kind;  // shown in --help: int, float, bool, string, list, or "a|b|c" for enums
    bool multi = false;
    std::function<void(const std::vector<std::string>&)> set;
    std::function<std::string()> get;
  };
  void add_binding(Binding binding);
  // parse() with the INI text from memory (`config_text` non-null) or from the file --config names.
  bool parse_impl(int argc, const char* const argv[], const std::string_view* config_text, const std::string& config_name);

  std::string program_;
  std::string summary_;
  std::vector<Binding> bindings_;
  std::vector<std::pair<std::string, int>> positional_;
  std::vector<std::pair<std::string, std::string>> renamed_;  // old key, new key
  std::vector<std::string> given_;
};

// Converts option text to a value; throws ConfigError naming `key` when `text` is not a valid T.
template <class T>
T parse_value(std::string_view key, std::string_view text);
template <> bool parse_value<bool>(std::string_view key, std::string_view text);
template <> int parse_value<int>(std::string_view key, std::string_view text);
template <> std::int64_t parse_value<std::int64_t>(std::string_view key, std::string_view text);
template <> std::uint64_t parse_value<std::uint64_t>(std::string_view key, std::string_view text);
template <> float parse_value<float>(std::string_view key, std::string_view text);
template <> double parse_value<double>(std::string_view key, std::string_view text);
template <> std::string parse_value<std::string>(std::string_view key, std::string_view text);
std::string format_value(bool v);
std::string format_value(int v);
std::string format_value(std::int64_t v);
std::string format_value(std::uint64_t v);
std::string format_value(float v);
std::string format_value(double v);
std::string format_value(const std::string& v);

// ---- implementation of the templates ----

std::string join_names(const std::vector<std::string>& names, std::string_view separator);

template <class E>
E parse_enum(const EnumNames<E>& names, std::string_view text, std::string_view key) {
  std::vector<std::string> valid;
  for (const auto& [name, value] : names) {
    if (name == text) return value;
    valid.push_back(name);
  }
  throw ConfigError("config key '" + std::string(key) + "': unknown value '" + std::string(text) +
                    "'; valid values are: " + join_names(valid, ", "));
}

template <class E>
std::string enum_name(const EnumNames<E>& names, E value) {
  for (const auto& [name, v] : names) {
    if (v == value) return name;
  }
  return "?";
}

template <class T>
OptionSet& OptionSet::add(const std::string& key, T* target, const std::string& help) {
  Binding b;
  b.key = key;
  b.help = help;
  if constexpr (std::is_same_v<T, std::vector<std::string>>) {
    b.multi = true;
    b.kind = "list";
    b.get = [target] { return join_names(*target, " "); };
    b.set = [target](const std::vector<std::string>& values) { *target = values; };
  } else {
    if constexpr (std::is_same_v<T, bool>) {
      b.kind = "bool";
    } else if constexpr (std::is_integral_v<T>) {
      b.kind = "int";
    } else if constexpr (std::is_floating_point_v<T>) {
      b.kind = "float";
    } else {
      b.kind = "string";
    }
    b.get = [target] { return format_value(*target); };
    b.set = [target, key](const std::vector<std::string>& values) { *target = parse_value<T>(key, values.back()); };
  }
  b.default_text = b.get();
  add_binding(std::move(b));
  return *this;
}

template <class E>
OptionSet& OptionSet::add_enum(const std::string& key, E* target, EnumNames<E> names, const std::string& help) {
  Binding b;
  b.key = key;
  b.help = help;
  std::vector<std::string> valid;
  for (const auto& entry : names) valid.push_back(entry.first);
  b.kind = join_names(valid, "|");
  b.get = [target, names] { return enum_name(names, *target); };
  b.set = [target, names, key](const std::vector<std::string>& values) {
    *target = parse_enum(names, values.back(), key);
  };
  b.default_text = b.get();
  add_binding(std::move(b));
  return *this;
}

}  // namespace fv
