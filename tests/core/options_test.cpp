// OptionSet: precedence (command line > INI > default), unknown keys, typed values, enums, resolved INI.
#include "core/options.h"

#include <gtest/gtest.h>

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

}  // namespace
}  // namespace fv
