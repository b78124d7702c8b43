// fv-verify's configuration: the face keys are fv-align's ([detect], [landmarks], [align]); the old
// verify.align_* keys are errors naming their new names; one face per image.
#include "verify/verify_config.h"

#include <gtest/gtest.h>

#include <vector>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

// Parses `args` into a VerifyConfig; rethrows the parser's ConfigError.
VerifyConfig parse(std::vector<std::string> args) {
  VerifyConfig c;
  OptionSet o("fv-verify", "test");
  c.bind(o);
  std::vector<const char*> argv{"fv-verify"};
  for (const auto& a : args) argv.push_back(a.c_str());
  o.parse(static_cast<int>(argv.size()), argv.data());
  return c;
}

std::string config_error(std::vector<std::string> args) {
  try {
    parse(std::move(args));
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "";
}

TEST(VerifyConfig, FaceKeysAreFvAlignsKeys) {
  testing::TempDir dir;
  testing::write_text(dir / "v.ini", "[align]\ntemplate = sphereface\n[detect]\npolicy = center\n");
  // (Positionals before --align.weights, a list that takes every word after it.)
  const VerifyConfig c = parse({"x", "y", "--config", (dir / "v.ini").string(), "--verify.align", "auto",
                                "--detect.upsample", "2", "--landmarks.model", "/m.dat", "--align.weights", "1", "1", "1",
                                "1", "1"});
  EXPECT_EQ(c.align, RawAlign::kAuto);
  EXPECT_EQ(c.face.template_kind, TemplateKind::kSphereface);
  EXPECT_EQ(c.face.policy, MultiFacePolicy::kCenter);
  EXPECT_EQ(c.face.upsample, 2);
  EXPECT_EQ(c.face.landmark_model, "/m.dat");
  EXPECT_EQ(c.face.fit_weights(), (std::vector<double>{1, 1, 1, 1, 1}));
  EXPECT_EQ(c.a, "x");
  EXPECT_EQ(c.b, "y");
  // The face keys' defaults are fv-align's, upsampling included (fv-verify's was 1 before the two shared them).
  const VerifyConfig d = parse({"x", "y"});
  const FaceAlignOptions align_defaults;
  EXPECT_EQ(d.face.upsample, align_defaults.upsample);
  EXPECT_EQ(d.face.upsample, 0);
  EXPECT_EQ(d.face.template_kind, TemplateKind::kArcface);
  EXPECT_EQ(d.face.policy, MultiFacePolicy::kProminent);
  EXPECT_EQ(d.face.no_face, NoFacePolicy::kPriorBoxThenCrop);
}

TEST(VerifyConfig, OldAlignKeysNameTheirNewKeys) {
  const std::vector<std::pair<std::string, std::string>> renamed = {{"verify.align_template", "align.template"},
                                                                    {"verify.align_upsample", "detect.upsample"},
                                                                    {"verify.align_landmarks", "landmarks.model"}};
  testing::TempDir dir;
  for (const auto& [old_key, new_key] : renamed) {
    const std::string cli = config_error({"--" + old_key, "1", "x", "y"});
    EXPECT_NE(cli.find(old_key), std::string::npos) << cli;
    EXPECT_NE(cli.find(new_key), std::string::npos) << cli;
    const auto ini = dir / "old.ini";
    testing::write_text(ini, "[verify]\nalign = auto\n" + old_key.substr(7) + " = 1\n");
    const std::string file = config_error({"--config", ini.string(), "x", "y"});
    EXPECT_NE(file.find(ini.string() + ":3"), std::string::npos) << file;  // file and line
    EXPECT_NE(file.find(new_key), std::string::npos) << file;
  }
}

TEST(VerifyConfig, OneFacePerImage) {
  VerifyConfig c = parse({"--verify.align", "auto", "--detect.policy", "all", "x", "y"});
  if (!raw_alignment_available()) GTEST_SKIP() << "verify.align = auto needs FV_WITH_VISION";
  try {
    c.validate();
    FAIL() << "expected ConfigError";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("detect.policy"), std::string::npos) << e.what();
  }
  c.face.policy = MultiFacePolicy::kReject;
  c.validate();
  // With verify.align = none the face keys are not used, and not checked.
  c.align = RawAlign::kNone;
  c.face.policy = MultiFacePolicy::kAll;
  c.validate();
}

}  // namespace
}  // namespace fv
