// The gnuplot runner: quoting, finding the program, failures named, the PNG written atomically, nothing left over.
#include "plot/gnuplot.h"

#include <gtest/gtest.h>
#include <sys/stat.h>

#include "core/error.h"
#include "support/png.h"
#include "support/scoped_env.h"
#include "support/temp_dir.h"

namespace fv::plot {
namespace {

// An executable shell script standing in for gnuplot.
std::filesystem::path fake_program(const testing::TempDir& dir, const std::string& name, const std::string& body) {
  const auto path = dir / name;
  testing::write_text(path, "#!/bin/sh\n" + body + "\n");
  ::chmod(path.c_str(), 0755);
  return path;
}

std::string error_of(const std::string& body, const std::filesystem::path& png, const std::string& gnuplot) {
  try {
    render_png(body, png, PngSize{}, gnuplot);
  } catch (const IoError& e) {
    return e.what();
  }
  return "no error";
}

std::size_t entries(const std::filesystem::path& dir) {
  return static_cast<std::size_t>(std::distance(std::filesystem::directory_iterator(dir), {}));
}

TEST(Gnuplot, QuotedTextReadsBackVerbatim) {
  EXPECT_EQ(gnuplot_quoted("plain"), "'plain'");
  EXPECT_EQ(gnuplot_quoted("it's"), "'it''s'");
  EXPECT_EQ(gnuplot_quoted("C:\\runs\\\"a\""), "'C:\\runs\\\"a\"'");   // backslashes and double quotes as they are
  EXPECT_EQ(gnuplot_quoted("`rm -rf x` @macro"), "'`rm -rf x` @macro'");  // no substitution inside single quotes
  EXPECT_EQ(gnuplot_quoted("two\nlines\r\x01"), "'two lines  '");        // a newline would end the command
}

TEST(Gnuplot, FindsTheProgramByPathOrInPath) {
  testing::TempDir dir;
  const auto fake = fake_program(dir, "my-gnuplot", "exit 0");
  EXPECT_EQ(find_gnuplot(fake.string()), fake);
  EXPECT_TRUE(find_gnuplot((dir / "none").string()).empty());
  EXPECT_TRUE(find_gnuplot("").empty());
  testing::write_text(dir / "not-executable", "");
  {
    const testing::ScopedEnv path("PATH", "/nonexistent:" + dir.path().string());
    EXPECT_EQ(find_gnuplot("my-gnuplot"), fake);
    EXPECT_TRUE(find_gnuplot("not-executable").empty());
    EXPECT_TRUE(find_gnuplot("gnuplot").empty());
    // Debian's variants stand in for a missing `gnuplot` alternative.
    const auto nox = fake_program(dir, "gnuplot-nox", "exit 0");
    EXPECT_EQ(find_gnuplot("gnuplot"), nox);
    EXPECT_TRUE(find_gnuplot("gnuplot-x11").empty());
  }
}

TEST(Gnuplot, MissingProgramIsAnIoErrorNamingTheFileAndTheProgram) {
  testing::TempDir dir;
  const testing::ScopedEnv path("PATH", dir.path().string());
  const std::string e = error_of("plot x\n", dir / "out.png", "gnuplot");
  EXPECT_NE(e.find("cannot draw '" + (dir / "out.png").string() + "': gnuplot ('gnuplot') was not found in PATH"),
            std::string::npos)
      << e;
  EXPECT_EQ(entries(dir.path()), 0u);
}

TEST(Gnuplot, FailingProgramIsAnIoErrorWithItsMessageAndLeavesNothing) {
  testing::TempDir dir;
  const auto tmp = dir / "tmp";
  std::filesystem::create_directories(tmp);
  const testing::ScopedEnv tmpdir("TMPDIR", tmp.string());
  std::filesystem::create_directories(dir / "out");
  const auto failing = fake_program(dir, "failing", "echo 'line 3: undefined variable: y' >&2; exit 3");
  std::string e = error_of("plot y\n", dir / "out/a.png", failing.string());
  EXPECT_NE(e.find("failed to draw '" + (dir / "out/a.png").string() + "' (exit status 3, no image written)"),
            std::string::npos)
      << e;
  EXPECT_NE(e.find("line 3: undefined variable: y"), std::string::npos) << e;
  // Exits 0 but draws nothing: still an error.
  e = error_of("plot y\n", dir / "out/a.png", fake_program(dir, "silent", "exit 0").string());
  EXPECT_NE(e.find("(exit status 0, no image written)"), std::string::npos) << e;
  EXPECT_EQ(entries(dir / "out"), 0u) << "no PNG, no temporary file";
  EXPECT_EQ(entries(tmp), 0u) << "the script's scratch folder is removed";
}

TEST(Gnuplot, DrawsAPngAtomicallyWithAwkwardLabels) {
  if (find_gnuplot("gnuplot").empty()) GTEST_SKIP() << "gnuplot is not installed";
  testing::TempDir dir;
  const auto tmp = dir / "tmp";
  std::filesystem::create_directories(tmp);
  const testing::ScopedEnv tmpdir("TMPDIR", tmp.string());
  const auto marker = dir / "executed";
  const std::string label = "it's a \"quoted\" back\\slash `touch " + marker.string() + "` @x";
  const std::string body = "set title " + gnuplot_quoted(label) + "\nplot x title " + gnuplot_quoted(label) + "\n";
  std::filesystem::create_directories(dir / "out");
  render_png(body, dir / "out/plot.png", PngSize{320, 240}, "gnuplot");
  EXPECT_TRUE(testing::is_png(dir / "out/plot.png"));
  EXPECT_EQ(entries(dir / "out"), 1u) << "only the PNG: its temporary file was renamed";
  EXPECT_EQ(entries(tmp), 0u) << "the script's scratch folder is removed";
  EXPECT_FALSE(std::filesystem::exists(marker)) << "a backquoted label ran a command";
  // A script error leaves the previous PNG as it was.
  const auto size = std::filesystem::file_size(dir / "out/plot.png");
  EXPECT_THROW(render_png("plot undefined_function(x)\n", dir / "out/plot.png", PngSize{}, "gnuplot"), IoError);
  EXPECT_EQ(std::filesystem::file_size(dir / "out/plot.png"), size);
  EXPECT_EQ(entries(dir / "out"), 1u);
}

}  // namespace
}  // namespace fv::plot
