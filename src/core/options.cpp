// OptionSet: Boost.Program_options under typed bindings, INI + command line with one key space.
#include "core/options.h"

#include <boost/program_options.hpp>
#include <fcntl.h>
#include <fmt/format.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <algorithm>
#include <charconv>
#include <cstring>
#include <iostream>
#include <map>
#include <sstream>

#include "core/atomic_file.h"
#include "core/sha256.h"

namespace po = boost::program_options;

namespace fv {

std::string join_names(const std::vector<std::string>& names, std::string_view separator) {
  std::string out;
  for (size_t i = 0; i < names.size(); ++i) {
    if (i) out += separator;
    out += names[i];
  }
  return out;
}

namespace {

std::string_view trim(std::string_view s) {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t' || s.front() == '\r')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t' || s.back() == '\r')) s.remove_suffix(1);
  return s;
}

[[noreturn]] void bad_value(std::string_view key, std::string_view text, std::string_view expected) {
  throw ConfigError(fmt::format("config key '{}': expected {}, got '{}'", key, expected, text));
}

template <class T>
T parse_integer(std::string_view key, std::string_view text, std::string_view expected) {
  std::string_view t = trim(text);
  T value{};
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) bad_value(key, text, expected);
  return value;
}

template <class T>
T parse_floating(std::string_view key, std::string_view text) {
  std::string_view t = trim(text);
  T value{};
  auto [end, ec] = std::from_chars(t.data(), t.data() + t.size(), value);
  if (t.empty() || ec != std::errc() || end != t.data() + t.size()) bad_value(key, text, "a number");
  return value;
}

// Finds where `key` (section.name) is set in INI `text`, for error messages. Returns 0 if not found.
int find_ini_line(const std::string& text, const std::string& key) {
  std::istringstream in(text);
  std::string line, section;
  for (int number = 1; std::getline(in, line); ++number) {
    std::string_view t = trim(line);
    if (t.empty() || t.front() == '#' || t.front() == ';') continue;
    if (t.front() == '[' && t.back() == ']') {
      section = std::string(trim(t.substr(1, t.size() - 2)));
      continue;
    }
    auto eq = t.find('=');
    std::string name(trim(t.substr(0, eq)));
    std::string full = section.empty() ? name : section + "." + name;
    if (full == key) return number;
  }
  return 0;
}

// A path as error messages show it: whole up to 200 bytes, else its start and its length.
std::string shown(std::string_view path) {
  if (path.size() <= 200) return std::string(path);
  return fmt::format("{}... ({} bytes)", path.substr(0, 100), path.size());
}

const char* file_type(mode_t mode) {
  if (S_ISDIR(mode)) return "directory";
  if (S_ISFIFO(mode)) return "FIFO";
  if (S_ISCHR(mode)) return "character device";
  if (S_ISBLK(mode)) return "block device";
  if (S_ISSOCK(mode)) return "socket";
  return "special file";
}

// Reads the INI file named by --config: an existing regular file of at most OptionSet::kMaxConfigBytes.
// Checked with stat before opening, and opened with O_NONBLOCK, so that a directory is refused, /dev/zero is
// not read for gigabytes and a FIFO cannot hang the program; fstat then checks what was actually opened.
std::string read_config_file(const std::string& path) {
  const std::string fix = "--config must name an INI file (a regular file of `key = value` lines)";
  auto fail = [&](const std::string& what) {
    throw ConfigError(fmt::format("cannot read config file '{}': {}; {}", shown(path), what, fix));
  };
  auto check = [&](const struct stat& st) {
    if (!S_ISREG(st.st_mode)) fail(fmt::format("it is a {}, not a regular file", file_type(st.st_mode)));
    if (st.st_size > static_cast<off_t>(OptionSet::kMaxConfigBytes)) {
      fail(fmt::format("it has {} bytes, more than the {} MiB a config file may have", st.st_size,
                       OptionSet::kMaxConfigBytes >> 20));
    }
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) fail(std::strerror(errno));
  check(st);
  const int fd = ::open(path.c_str(), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) fail(std::strerror(errno));
  std::string text;
  try {
    if (::fstat(fd, &st) != 0) fail(std::strerror(errno));
    check(st);  // the path may have been replaced between stat and open
    char buffer[1 << 16];
    while (true) {
      const ssize_t n = ::read(fd, buffer, sizeof buffer);
      if (n < 0 && errno == EINTR) continue;
      if (n < 0) fail(std::strerror(errno));
      if (n == 0) break;
      text.append(buffer, static_cast<std::size_t>(n));
      if (text.size() > OptionSet::kMaxConfigBytes) {
        fail(fmt::format("it grew past {} MiB while read", OptionSet::kMaxConfigBytes >> 20));
      }
    }
  } catch (...) {
    ::close(fd);
    throw;
  }
  ::close(fd);
  return text;
}

}  // namespace

template <>
bool parse_value<bool>(std::string_view key, std::string_view text) {
  std::string_view t = trim(text);
  if (t == "true" || t == "1" || t == "yes" || t == "on") return true;
  if (t == "false" || t == "0" || t == "no" || t == "off") return false;
  bad_value(key, text, "true or false");
}
template <>
int parse_value<int>(std::string_view key, std::string_view text) {
  return parse_integer<int>(key, text, "an integer");
}
template <>
std::int64_t parse_value<std::int64_t>(std::string_view key, std::string_view text) {
  return parse_integer<std::int64_t>(key, text, "an integer");
}
template <>
std::uint64_t parse_value<std::uint64_t>(std::string_view key, std::string_view text) {
  return parse_integer<std::uint64_t>(key, text, "a non-negative integer");
}
template <>
float parse_value<float>(std::string_view key, std::string_view text) {
  return parse_floating<float>(key, text);
}
template <>
double parse_value<double>(std::string_view key, std::string_view text) {
  return parse_floating<double>(key, text);
}
template <>
std::string parse_value<std::string>(std::string_view, std::string_view text) {
  return std::string(text);
}

std::string format_value(bool v) { return v ? "true" : "false"; }
std::string format_value(int v) { return std::to_string(v); }
std::string format_value(std::int64_t v) { return std::to_string(v); }
std::string format_value(std::uint64_t v) { return std::to_string(v); }
std::string format_value(float v) { return fmt::format("{}", v); }
std::string format_value(double v) { return fmt::format("{}", v); }
std::string format_value(const std::string& v) { return v; }

OptionSet::OptionSet(std::string program, std::string summary)
    : program_(std::move(program)), summary_(std::move(summary)) {}

void OptionSet::add_binding(Binding binding) {
  for (const auto& b : bindings_) {
    if (b.key == binding.key) throw std::logic_error("option key bound twice: " + binding.key);
  }
  bindings_.push_back(std::move(binding));
}

OptionSet& OptionSet::positional(const std::string& key, int max_count) {
  bool known = false;
  for (const auto& b : bindings_) known = known || b.key == key;
  if (!known) throw std::logic_error("positional key not bound: " + key);
  positional_.emplace_back(key, max_count);
  return *this;
}

OptionSet& OptionSet::renamed(const std::string& old_key, const std::string& new_key) {
  bool known = false;
  for (const auto& b : bindings_) {
    if (b.key == old_key) throw std::logic_error("renamed key is still bound: " + old_key);
    known = known || b.key == new_key;
  }
  if (!known) throw std::logic_error("renamed key's new name is not bound: " + new_key);
  renamed_.emplace_back(old_key, new_key);
  return *this;
}

bool OptionSet::given(const std::string& key) const {
  for (const auto& g : given_) {
    if (g == key) return true;
  }
  return false;
}

bool OptionSet::parse(int argc, const char* const argv[]) { return parse_impl(argc, argv, nullptr, {}); }

bool OptionSet::parse(int argc, const char* const argv[], std::string_view config_text, const std::string& config_name) {
  return parse_impl(argc, argv, &config_text, config_name);
}

bool OptionSet::parse_impl(int argc, const char* const argv[], const std::string_view* config_text_in,
                           const std::string& config_name) {
  po::options_description meta;
  meta.add_options()("help,h", "show this help and exit")(
      "config", po::value<std::string>(), "INI file with `key = value` lines under [section] headers")(
      "print-config", "print the resolved configuration as INI and exit");
  po::options_description keys;
  for (const auto& b : bindings_) {
    if (b.multi) {
      keys.add_options()(b.key.c_str(), po::value<std::vector<std::string>>()->multitoken(), b.help.c_str());
    } else if (b.kind == "bool") {
      keys.add_options()(b.key.c_str(), po::value<std::string>()->implicit_value("true"), b.help.c_str());
    } else {
      keys.add_options()(b.key.c_str(), po::value<std::string>(), b.help.c_str());
    }
  }
  // Renamed keys are parsed (not unknown) only to be refused with their new name below; --help omits them.
  for (const auto& [old_key, new_key] : renamed_) {
    keys.add_options()(old_key.c_str(), po::value<std::vector<std::string>>()->multitoken(), "");
  }
  // `where`: the INI file's path ("" for the command line), `text` its content.
  auto refuse_renamed = [&](const po::variables_map& vm, const std::string& where, const std::string& text) {
    for (const auto& [old_key, new_key] : renamed_) {
      if (!vm.count(old_key)) continue;
      if (where.empty()) {
        throw ConfigError(fmt::format("--{} was renamed --{}; use that instead", old_key, new_key));
      }
      const auto dot = new_key.find('.');
      const std::string ini_form = dot == std::string::npos
                                       ? new_key
                                       : fmt::format("'{}' under [{}]", new_key.substr(dot + 1), new_key.substr(0, dot));
      throw ConfigError(fmt::format("{}:{}: config key '{}' was renamed '{}' ({}); use that instead", where,
                                    find_ini_line(text, old_key), old_key, new_key, ini_form));
    }
  };
  po::options_description all;
  all.add(meta).add(keys);
  po::positional_options_description pos;
  for (const auto& [key, count] : positional_) pos.add(key.c_str(), count);

  po::variables_map vm;
  try {
    po::store(po::command_line_parser(argc, argv).options(all).positional(pos).run(), vm);
  } catch (const po::error& e) {
    throw ConfigError(fmt::format("{} (run {} --help for the list of keys)", e.what(), program_));
  }
  if (vm.count("help")) {
    std::cout << help();
    return false;
  }
  refuse_renamed(vm, "", "");
  std::string config_path, config_text;
  if (config_text_in != nullptr && vm.count("config")) {
    throw ConfigError(fmt::format("--config is not taken here: the configuration is '{}'", config_name));
  }
  if (config_text_in != nullptr || vm.count("config")) {
    if (config_text_in != nullptr) {
      config_path = config_name;
      if (config_text_in->size() > kMaxConfigBytes) {
        throw ConfigError(fmt::format("config '{}' has {} bytes, more than the {} MiB a config file may have",
                                      shown(config_name), config_text_in->size(), kMaxConfigBytes >> 20));
      }
      config_text.assign(config_text_in->data(), config_text_in->size());
    } else {
      config_path = vm["config"].as<std::string>();
      config_text = read_config_file(config_path);
    }
    std::istringstream in(config_text);
    try {
      // Values already stored from the command line are kept: the command line wins.
      po::store(po::parse_config_file(in, keys, /*allow_unregistered=*/false), vm);
    } catch (const po::unknown_option& e) {
      const int line = find_ini_line(config_text, e.get_option_name());
      throw ConfigError(fmt::format("{}:{}: unknown config key '{}' (run {} --help for the list of keys)", config_path,
                                    line, e.get_option_name(), program_));
    } catch (const po::error& e) {
      throw ConfigError(fmt::format("{}: {}", config_path, e.what()));
    }
    refuse_renamed(vm, config_path, config_text);
  }
  // No key takes a value longer than the longest path Linux accepts, or with a `/`-separated part longer
  // than the longest file name: refused here, naming the key, rather than failing later as "File name too
  // long" somewhere without it.
  for (const auto& b : bindings_) {
    if (!vm.count(b.key)) continue;
    const std::vector<std::string> values =
        b.multi ? vm[b.key].as<std::vector<std::string>>() : std::vector<std::string>{vm[b.key].as<std::string>()};
    for (const auto& value : values) {
      std::string problem;
      if (value.size() > kMaxValueBytes) {
        problem = fmt::format("its value has {} bytes ('{}'), more than the {} bytes of the longest path (PATH_MAX)",
                              value.size(), shown(value), kMaxValueBytes);
      } else {
        std::size_t start = 0;
        while (start <= value.size() && problem.empty()) {
          const std::size_t end = std::min(value.find('/', start), value.size());
          if (end - start > kMaxNameBytes) {
            problem = fmt::format("its value '{}' has a part of {} bytes between slashes, more than the {} bytes of the "
                                  "longest file name (NAME_MAX)",
                                  shown(value), end - start, kMaxNameBytes);
          }
          start = end + 1;
        }
      }
      if (problem.empty()) continue;
      const int line = config_path.empty() ? 0 : find_ini_line(config_text, b.key);
      throw ConfigError(fmt::format("{}config key '{}': {}; no key takes values that long",
                                    line > 0 ? fmt::format("{}:{}: ", config_path, line) : std::string(), b.key,
                                    problem));
    }
  }
  for (auto& b : bindings_) {
    if (!vm.count(b.key)) continue;
    if (b.multi) {
      b.set(vm[b.key].as<std::vector<std::string>>());
    } else {
      b.set({vm[b.key].as<std::string>()});
    }
    given_.push_back(b.key);
  }
  if (vm.count("print-config")) {
    std::cout << resolved_ini();
    return false;
  }
  return true;
}

std::string OptionSet::resolved_ini() const {
  // Keys without a section must come first: INI assigns a key to the last [section] above it.
  std::map<std::string, std::vector<const Binding*>> sections;
  std::vector<std::string> order;
  for (const auto& b : bindings_) {
    const auto dot = b.key.find('.');
    const std::string section = dot == std::string::npos ? "" : b.key.substr(0, dot);
    if (!sections.count(section)) order.push_back(section);
    sections[section].push_back(&b);
  }
  std::string out;
  auto emit = [&](const std::string& section) {
    if (!section.empty()) out += fmt::format("\n[{}]\n", section);
    for (const Binding* b : sections[section]) {
      const std::string name = section.empty() ? b->key : b->key.substr(section.size() + 1);
      if (b->multi) {
        // A list is written as one line per element, which the INI parser reads back as a list.
        std::istringstream words(b->get());
        for (std::string w; words >> w;) out += fmt::format("{} = {}\n", name, w);
      } else {
        out += fmt::format("{} = {}\n", name, b->get());
      }
    }
  };
  if (sections.count("")) emit("");
  for (const auto& section : order) {
    if (!section.empty()) emit(section);
  }
  return out;
}

std::string OptionSet::hash() const { return sha256_hex(resolved_ini()).substr(0, 16); }

void OptionSet::write_resolved(const std::filesystem::path& path) const {
  write_file_atomic(path, fmt::format("# {} resolved configuration (hash {})\n", program_, hash()) + resolved_ini());
}

std::string OptionSet::help() const {
  std::string out = fmt::format("{}: {}\n\nUsage: {} [--config FILE.ini] [--section.key VALUE ...]", program_,
                                summary_, program_);
  for (const auto& [key, count] : positional_) out += fmt::format(" [{}{}]", key, count == 1 ? "" : " ...");
  out +=
      "\n\nEvery key below works as `--section.key VALUE` on the command line and as `key = VALUE` under\n"
      "`[section]` in the INI file given with --config; the command line wins over the file, the file over the\n"
      "default. Booleans: `--key` alone means true, `--key=false` false.\n\n"
      "  -h, --help            show this help and exit\n"
      "  --config FILE         read keys from an INI file\n"
      "  --print-config        print the resolved configuration as INI and exit\n";
  std::string section = "\x01";
  for (const auto& b : bindings_) {
    const auto dot = b.key.find('.');
    const std::string s = dot == std::string::npos ? "" : b.key.substr(0, dot);
    if (s != section) {
      section = s;
      out += s.empty() ? "\n" : fmt::format("\n[{}]\n", s);
    }
    out += fmt::format("  --{} <{}>  (default: {})\n      {}\n", b.key, b.kind,
                       b.default_text.empty() ? "\"\"" : b.default_text, b.help);
  }
  return out;
}

}  // namespace fv
