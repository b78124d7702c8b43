// Tests for fv-align's configuration: keys from the command line and INI, validation errors naming keys.
#include "align/align_config.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

AlignConfig parse(const std::vector<std::string>& args) {
  AlignConfig c;
  OptionSet o("fv-align", "test");
  c.bind(o);
  std::vector<const char*> argv{"fv-align"};
  for (const auto& a : args) argv.push_back(a.c_str());
  EXPECT_TRUE(o.parse(static_cast<int>(argv.size()), argv.data()));
  return c;
}

void expect_config_error(AlignConfig c, const std::string& key) {
  try {
    c.validate();
    FAIL() << "expected ConfigError naming " << key;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

TEST(AlignConfig, CommandLineBeatsIniAndPositionalIsTheInput) {
  testing::TempDir dir;
  testing::write_text(dir / "a.ini", "[detect]\nupsample = 2\npolicy = center\n[align]\ntemplate = sphereface\n");
  const std::string input = dir.path().string();
  const AlignConfig c = parse({input, "--config", (dir / "a.ini").string(), "--detect.upsample", "1",
                               "--output.dir", (dir / "out").string(), "--align.weights", "1", "1", "1", "1", "1"});
  EXPECT_EQ(c.input, input);
  EXPECT_EQ(c.upsample, 1);
  EXPECT_EQ(c.policy, MultiFacePolicy::kCenter);
  EXPECT_EQ(c.template_kind, TemplateKind::kSphereface);
  EXPECT_EQ(c.fit_weights(), (std::vector<double>{1, 1, 1, 1, 1}));
  c.validate();
  EXPECT_EQ(c.manifest_path(), (dir / "out" / "manifest.csv").string());
}

TEST(AlignConfig, UnknownEnumNameListsValidNames) {
  AlignConfig c;
  OptionSet o("fv-align", "test");
  c.bind(o);
  const char* argv[] = {"fv-align", "--detect.detector", "cnn"};
  try {
    o.parse(3, argv);
    FAIL();
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("detect.detector"), std::string::npos) << what;
    EXPECT_NE(what.find("hog, haar, mmod, yunet"), std::string::npos) << what;
  }
}

TEST(AlignConfig, ValidationNamesTheKey) {
  testing::TempDir dir;
  AlignConfig ok;
  ok.input = dir.path().string();
  ok.output_dir = (dir / "out").string();
  ok.validate();
  AlignConfig c = ok;
  c.output_dir.clear();
  expect_config_error(c, "output.dir");
  c = ok;
  c.input = (dir / "missing").string();
  expect_config_error(c, "input.path");
  c = ok;
  c.detector = DetectorKind::kMmod;
  expect_config_error(c, "detect.model");
  c = ok;
  c.template_kind = TemplateKind::kFile;
  expect_config_error(c, "align.template_file");
  c = ok;
  c.weights = {"1", "1", "1", "1"};
  expect_config_error(c, "align.weights");
  c = ok;
  c.weights = {"0", "0", "0", "0", "-1"};
  expect_config_error(c, "align.weights");
  c = ok;
  c.upsample = 9;
  expect_config_error(c, "detect.upsample");
  c = ok;
  c.write_images = false;
  expect_config_error(c, "output.recordio");
  c = ok;
  c.shard = "3/3";
  expect_config_error(c, "run.shard");
  c = ok;
  c.jpeg_quality = 101;
  expect_config_error(c, "output.jpeg_quality");
}

}  // namespace
}  // namespace fv
