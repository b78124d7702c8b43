// OptionSet: precedence (command line > INI > default), unknown keys, typed values, enums, resolved INI;
// --config naming something other than a regular file, a too large file, values longer than any path.
#include "core/options.h"

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <future>
#include <string>
#include <vector>

#include "support/temp_dir.h"

namespace fv {
namespace {

enum class Color { kRed, kGreen };

struct Demo {
  int count = 3;
  double rate = 0.5;
  bool flag = false;
  std::string name = "default";
  Color color = Color::kRed;
  int threads = 0;
  std::vector<std::string> inputs;

  void bind(OptionSet& o) {
    o.add("threads", &threads, "threads")
        .add("demo.count", &count, "a count")
        .add("demo.rate", &rate, "a rate")
        .add("demo.flag", &flag, "a flag")
        .add("demo.name", &name, "a name")
        .add_enum("demo.color", &color, EnumNames<Color>{{"red", Color::kRed}, {"green", Color::kGreen}}, "a color")
        .add("inputs", &inputs, "input files")
        .positional("inputs", -1);
  }
};

bool parse(OptionSet& o, std::vector<std::string> args) {
  args.insert(args.begin(), "prog");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return o.parse(static_cast<int>(argv.size()), argv.data());
}

TEST(OptionSet, DefaultsStayWhenNothingIsGiven) {
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  ASSERT_TRUE(parse(o, {}));
  EXPECT_EQ(d.count, 3);
  EXPECT_EQ(d.rate, 0.5);
  EXPECT_FALSE(d.flag);
  EXPECT_EQ(d.name, "default");
  EXPECT_FALSE(o.given("demo.count"));
}

TEST(OptionSet, CommandLineBeatsConfigFileBeatsDefault) {
  testing::TempDir dir;
  testing::write_text(dir / "c.ini", "threads = 7\n[demo]\ncount = 10\nrate = 0.25\nname = from_file\n");
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  ASSERT_TRUE(parse(o, {"--config", (dir / "c.ini").string(), "--demo.count", "20", "--demo.flag"}));
  EXPECT_EQ(d.count, 20);           // command line wins over the file
  EXPECT_EQ(d.rate, 0.25);          // file wins over the default
  EXPECT_EQ(d.name, "from_file");   // file wins over the default
  EXPECT_EQ(d.threads, 7);          // top-level key in the file
  EXPECT_TRUE(d.flag);              // `--flag` alone means true
  EXPECT_TRUE(o.given("demo.count"));
  EXPECT_TRUE(o.given("demo.rate"));
  EXPECT_FALSE(o.given("demo.color"));
}

TEST(OptionSet, CommandLineWinsWhateverTheOrder) {
  testing::TempDir dir;
  testing::write_text(dir / "c.ini", "[demo]\ncount = 10\n");
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  ASSERT_TRUE(parse(o, {"--demo.count", "5", "--config", (dir / "c.ini").string()}));
  EXPECT_EQ(d.count, 5);
}

TEST(OptionSet, UnknownCommandLineKeyIsAnError) {
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  try {
    parse(o, {"--demo.cuont", "3"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("demo.cuont"), std::string::npos) << e.what();
  }
}

TEST(OptionSet, UnknownIniKeyNamesFileAndLine) {
  testing::TempDir dir;
  const auto ini = dir / "bad.ini";
  testing::write_text(ini, "# comment\n[demo]\ncount = 1\nbogus = 2\n");
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  try {
    parse(o, {"--config", ini.string()});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    const std::string msg = e.what();
    EXPECT_NE(msg.find(ini.string() + ":4"), std::string::npos) << msg;
    EXPECT_NE(msg.find("demo.bogus"), std::string::npos) << msg;
  }
}

TEST(OptionSet, RenamedKeyNamesItsNewName) {
  testing::TempDir dir;
  const auto ini = dir / "old.ini";
  testing::write_text(ini, "[demo]\ncount = 1\nnumber = 2\n");
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  o.renamed("demo.number", "demo.count");
  for (const auto& args : {std::vector<std::string>{"--demo.number", "4"}, std::vector<std::string>{"--config", ini.string()}}) {
    try {
      parse(o, args);
      FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
      const std::string msg = e.what();
      EXPECT_NE(msg.find("demo.number"), std::string::npos) << msg;
      EXPECT_NE(msg.find("demo.count"), std::string::npos) << msg;
      if (args[0] == "--config") EXPECT_NE(msg.find(ini.string() + ":3"), std::string::npos) << msg;
    }
  }
  EXPECT_EQ(o.help().find("demo.number"), std::string::npos);  // not listed as a key
  EXPECT_EQ(o.resolved_ini().find("number"), std::string::npos);
  EXPECT_THROW(o.renamed("demo.x", "demo.missing"), std::logic_error);
}

TEST(OptionSet, MissingConfigFileIsAnError) {
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  EXPECT_THROW(parse(o, {"--config", "/nonexistent/x.ini"}), ConfigError);
}

TEST(OptionSet, MalformedValueNamesKeyAndText) {
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  try {
    parse(o, {"--demo.count", "12abc"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "config key 'demo.count': expected an integer, got '12abc'");
  }
}

TEST(OptionSet, UnknownEnumNameListsValidNames) {
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  try {
    parse(o, {"--demo.color", "blue"});
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_STREQ(e.what(), "config key 'demo.color': unknown value 'blue'; valid values are: red, green");
  }
  Demo d2;
  OptionSet o2("prog", "test");
  d2.bind(o2);
  ASSERT_TRUE(parse(o2, {"--demo.color", "green"}));
  EXPECT_EQ(d2.color, Color::kGreen);
}

TEST(OptionSet, PositionalArgumentsFillTheList) {
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  ASSERT_TRUE(parse(o, {"a.json", "b.json", "--demo.count=4"}));
  EXPECT_EQ(d.inputs, (std::vector<std::string>{"a.json", "b.json"}));
  EXPECT_EQ(d.count, 4);
}

TEST(OptionSet, ResolvedIniRoundTripsAndHashTracksValues) {
  testing::TempDir dir;
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  ASSERT_TRUE(parse(o, {"--demo.count", "42", "--demo.rate", "1e-3", "--demo.color", "green", "x", "y"}));
  o.write_resolved(dir / "resolved.ini");

  Demo d2;
  OptionSet o2("prog", "test");
  d2.bind(o2);
  ASSERT_TRUE(parse(o2, {"--config", (dir / "resolved.ini").string()}));
  EXPECT_EQ(d2.count, 42);
  EXPECT_EQ(d2.rate, 1e-3);
  EXPECT_EQ(d2.color, Color::kGreen);
  EXPECT_EQ(d2.inputs, (std::vector<std::string>{"x", "y"}));
  EXPECT_EQ(o.resolved_ini(), o2.resolved_ini());
  EXPECT_EQ(o.hash(), o2.hash());
  EXPECT_EQ(o.hash().size(), 16u);

  Demo d3;
  OptionSet o3("prog", "test");
  d3.bind(o3);
  ASSERT_TRUE(parse(o3, {"--demo.count", "43"}));
  EXPECT_NE(o.hash(), o3.hash());
}

TEST(OptionSet, HelpListsEveryKeyWithItsDefault) {
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  const std::string help = o.help();
  EXPECT_NE(help.find("--demo.count <int>  (default: 3)"), std::string::npos) << help;
  EXPECT_NE(help.find("--demo.color <red|green>  (default: red)"), std::string::npos) << help;
  EXPECT_NE(help.find("--demo.name <string>  (default: default)"), std::string::npos) << help;
  ::testing::internal::CaptureStdout();
  EXPECT_FALSE(parse(o, {"--help"}));
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), help);
}

TEST(ParseValue, RejectsOutOfRangeAndNegativeUnsigned) {
  EXPECT_THROW(parse_value<int>("k", "99999999999"), ConfigError);
  EXPECT_THROW(parse_value<std::uint64_t>("k", "-1"), ConfigError);
  EXPECT_THROW(parse_value<bool>("k", "maybe"), ConfigError);
  EXPECT_EQ(parse_value<double>("k", " 2.5 "), 2.5);
  EXPECT_TRUE(parse_value<bool>("k", "yes"));
}

// The ConfigError a parse throws (empty, with a test failure, when it throws nothing).
std::string config_error(const std::vector<std::string>& args) {
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  try {
    parse(o, args);
  } catch (const ConfigError& e) {
    EXPECT_EQ(exit_code_for(e), kExitConfig);
    return e.what();
  }
  ADD_FAILURE() << "expected ConfigError";
  return {};
}

TEST(OptionSet, ConfigMustNameARegularFile) {
  testing::TempDir dir;
  std::string what = config_error({"--config", dir.path().string()});
  EXPECT_NE(what.find("cannot read config file '" + dir.path().string() + "': it is a directory, not a regular file; "
                      "--config must name an INI file"),
            std::string::npos)
      << what;
  // Not read for gigabytes: refused before it is opened.
  what = config_error({"--config", "/dev/zero"});
  EXPECT_NE(what.find("'/dev/zero': it is a character device, not a regular file"), std::string::npos) << what;
  what = config_error({"--config", (dir / "missing.ini").string()});
  EXPECT_NE(what.find("missing.ini': No such file or directory; --config must name an INI file"), std::string::npos)
      << what;
}

TEST(OptionSet, ConfigNamingAFifoIsRefusedWithoutHanging) {
  testing::TempDir dir;
  const auto fifo = dir / "c.ini";
  ASSERT_EQ(::mkfifo(fifo.c_str(), 0600), 0);
  auto result = std::async(std::launch::async, [&] { return config_error({"--config", fifo.string()}); });
  if (result.wait_for(std::chrono::seconds(20)) != std::future_status::ready) {
    const int fd = ::open(fifo.c_str(), O_WRONLY | O_NONBLOCK);  // unblocks a reader stuck in open()
    if (fd >= 0) ::close(fd);
    FAIL() << "--config on a FIFO hangs";
  }
  const std::string what = result.get();
  EXPECT_NE(what.find("c.ini': it is a FIFO, not a regular file"), std::string::npos) << what;
}

TEST(OptionSet, ConfigFileOverTheSizeLimitIsRefused) {
  testing::TempDir dir;
  const auto ini = dir / "big.ini";
  testing::write_text(ini, "[demo]\ncount = 5\n");
  std::filesystem::resize_file(ini, OptionSet::kMaxConfigBytes + 1);  // sparse: costs no disk
  const std::string what = config_error({"--config", ini.string()});
  EXPECT_NE(what.find("big.ini': it has 16777217 bytes, more than the 16 MiB a config file may have"),
            std::string::npos)
      << what;
}

TEST(OptionSet, ValuesLongerThanAnyPathNameTheKey) {
  testing::TempDir dir;
  const std::string megabyte(1 << 20, 'x');
  // From the INI file: its path and line too.
  testing::write_text(dir / "long.ini", "[demo]\ncount = 1\nname = " + megabyte + "\n");
  std::string what = config_error({"--config", (dir / "long.ini").string()});
  EXPECT_NE(what.find((dir / "long.ini").string() + ":3: config key 'demo.name': its value has 1048576 bytes"),
            std::string::npos)
      << what.substr(0, 400);
  EXPECT_LT(what.size(), 1000u) << "the message must not repeat the value";
  // From the command line, and in a list.
  what = config_error({"--demo.name", megabyte});
  EXPECT_NE(what.find("config key 'demo.name': its value has 1048576 bytes"), std::string::npos) << what.substr(0, 400);
  what = config_error({"a.json", std::string(OptionSet::kMaxValueBytes + 1, 'y')});
  EXPECT_NE(what.find("config key 'inputs': its value has 4097 bytes"), std::string::npos) << what.substr(0, 400);
  // A --config path of 1 MB: the OS's "File name too long", as a config error showing the path's start.
  what = config_error({"--config", megabyte});
  EXPECT_NE(what.find("(1048576 bytes)': File name too long"), std::string::npos) << what.substr(0, 400);
  EXPECT_LT(what.size(), 1000u);

  // A path part longer than NAME_MAX (the OS says "File name too long" even below PATH_MAX).
  what = config_error({"--demo.name", "/tmp/" + std::string(256, 'n') + "/x"});
  EXPECT_NE(what.find("config key 'demo.name': its value '/tmp/nnn"), std::string::npos) << what;
  EXPECT_NE(what.find("has a part of 256 bytes between slashes, more than the 255 bytes of the longest file name"),
            std::string::npos)
      << what;

  // PATH_MAX bytes exactly are accepted, in parts of NAME_MAX bytes.
  Demo d;
  OptionSet o("prog", "test");
  d.bind(o);
  std::string longest;
  while (longest.size() < OptionSet::kMaxValueBytes) {
    longest += std::string(std::min(OptionSet::kMaxNameBytes, OptionSet::kMaxValueBytes - longest.size()), 'z');
    if (longest.size() < OptionSet::kMaxValueBytes) longest += '/';
  }
  ASSERT_TRUE(parse(o, {"--demo.name", longest}));
  EXPECT_EQ(d.name.size(), OptionSet::kMaxValueBytes);
}

}  // namespace
}  // namespace fv
