// Tests for the built-in templates, template files and scaling.
#include "face/face_template.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

TEST(FaceTemplate, BuiltinsHaveInsightfaceValues) {
  const FaceTemplate a = builtin_template(TemplateKind::kArcface);
  EXPECT_EQ(a.width, 112);
  EXPECT_EQ(a.height, 112);
  EXPECT_FLOAT_EQ(a.points[kLeftEye].x, 38.2946f);
  EXPECT_FLOAT_EQ(a.points[kRightMouth].y, 92.2041f);
  const FaceTemplate s = builtin_template(TemplateKind::kSphereface);
  EXPECT_EQ(s.width, 96);
  for (int i = 0; i < 5; ++i) {
    EXPECT_NEAR(s.points[i].x, a.points[i].x - 8.f, 1e-4);  // SphereFace = ArcFace shifted 8 px left
    EXPECT_FLOAT_EQ(s.points[i].y, a.points[i].y);
  }
  const FaceTemplate d = builtin_template(TemplateKind::kDlibChip);
  EXPECT_EQ(d.width, 150);
  EXPECT_NEAR(d.points[kLeftEye].y, d.points[kRightEye].y, 1e-4);  // dlib's mean face is symmetric
  EXPECT_NEAR(d.points[kLeftEye].x + d.points[kRightEye].x, 2 * d.points[kNoseTip].x, 1e-3);
  EXPECT_THROW(builtin_template(TemplateKind::kFile), ConfigError);
}

TEST(FaceTemplate, ResizeScalesPoints) {
  const FaceTemplate a = builtin_template(TemplateKind::kArcface);
  const FaceTemplate r = resize_template(a, 224, 224);
  EXPECT_EQ(r.width, 224);
  EXPECT_NEAR(r.points[kNoseTip].x, 2 * 56.0252f, 1e-3);
  EXPECT_NEAR(r.points[kNoseTip].y, 2 * 71.7366f, 1e-3);
  const FaceTemplate same = resize_template(a, 0, 0);
  EXPECT_EQ(same.width, 112);
  EXPECT_FLOAT_EQ(same.points[0].x, a.points[0].x);
  EXPECT_THROW(resize_template(a, -1, 10), ConfigError);
}

TEST(FaceTemplate, ReadsFileAndNamesBadLines) {
  testing::TempDir dir;
  testing::write_text(dir / "t.txt", "# custom\n128 128\n40 50\n88 50\n64 75 # nose\n45 95\n83 95\n");
  const FaceTemplate t = read_template_file(dir / "t.txt");
  EXPECT_EQ(t.width, 128);
  EXPECT_FLOAT_EQ(t.points[kNoseTip].y, 75.f);
  testing::write_text(dir / "bad.txt", "128 128\n40 50\n88 x\n");
  try {
    read_template_file(dir / "bad.txt");
    FAIL() << "expected FormatError";
  } catch (const FormatError& e) {
    EXPECT_NE(std::string(e.what()).find("bad.txt:3"), std::string::npos) << e.what();
  }
  testing::write_text(dir / "short.txt", "128 128\n40 50\n");
  EXPECT_THROW(read_template_file(dir / "short.txt"), FormatError);
  testing::write_text(dir / "size.txt", "128\n");
  EXPECT_THROW(read_template_file(dir / "size.txt"), FormatError);
  EXPECT_THROW(read_template_file(dir / "missing.txt"), IoError);
}

}  // namespace
}  // namespace fv
