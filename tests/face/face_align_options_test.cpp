// The shared face-alignment keys: bound as [detect], [landmarks], [align]; validation names the key.
#include "face/face_align_options.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "support/temp_dir.h"

namespace fv {
namespace {

TEST(FaceAlignOptions, BindsTheDetectLandmarksAndAlignKeys) {
  testing::TempDir dir;
  testing::write_text(dir / "f.ini", "[detect]\nupsample = 2\npolicy = reject\n[landmarks]\nmodel = /x.dat\n"
                                     "[align]\ntemplate = dlib_chip\nno_face = center_crop\n");
  FaceAlignOptions f;
  OptionSet o("test", "test");
  f.bind(o);
  const std::string ini = (dir / "f.ini").string();
  const char* argv[] = {"test", "--config", ini.c_str(), "--detect.upsample", "1", "--align.width", "160"};
  ASSERT_TRUE(o.parse(7, argv));
  EXPECT_EQ(f.upsample, 1);
  EXPECT_EQ(f.policy, MultiFacePolicy::kReject);
  EXPECT_EQ(f.landmark_model, "/x.dat");
  EXPECT_EQ(f.template_kind, TemplateKind::kDlibChip);
  EXPECT_EQ(f.no_face, NoFacePolicy::kCenterCrop);
  EXPECT_EQ(f.width, 160);
  f.validate();
  const FaceTemplate t = template_from_config(f, 99, 98);
  EXPECT_EQ(t.width, 160);
  EXPECT_EQ(t.height, 98);
  for (const char* key : {"[detect]", "[landmarks]", "[align]", "upsample = 1", "template = dlib_chip"}) {
    EXPECT_NE(o.resolved_ini().find(key), std::string::npos) << key;
  }
}

TEST(FaceAlignOptions, DefaultsAreTheProminentFaceAndThePriorBoxThenTheCrop) {
  FaceAlignOptions f;
  OptionSet o("test", "test");
  f.bind(o);
  const char* argv[] = {"test"};
  ASSERT_TRUE(o.parse(1, argv));
  EXPECT_EQ(f.policy, MultiFacePolicy::kProminent);
  EXPECT_EQ(f.no_face, NoFacePolicy::kPriorBoxThenCrop);
  EXPECT_DOUBLE_EQ(f.prior_box, 0.5);
  for (const char* key : {"policy = prominent", "no_face = prior_box_then_crop", "prior_box = 0.5"}) {
    EXPECT_NE(o.resolved_ini().find(key), std::string::npos) << key;
  }
  const char* argv2[] = {"test", "--align.no_face", "prior_box", "--align.prior_box", "0.8", "--detect.policy", "largest"};
  FaceAlignOptions g;
  OptionSet o2("test", "test");
  g.bind(o2);
  ASSERT_TRUE(o2.parse(7, argv2));
  EXPECT_EQ(g.no_face, NoFacePolicy::kPriorBox);
  EXPECT_DOUBLE_EQ(g.prior_box, 0.8);
  EXPECT_EQ(g.policy, MultiFacePolicy::kLargest);
}

TEST(FaceAlignOptions, ValidationNamesTheKey) {
  auto expect_error = [](FaceAlignOptions f, const std::string& key) {
    try {
      f.validate();
      FAIL() << "expected ConfigError naming " << key;
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
    }
  };
  FaceAlignOptions ok;
  ok.validate();
  FaceAlignOptions f = ok;
  f.upsample = 5;
  expect_error(f, "detect.upsample");
  f = ok;
  f.detector = DetectorKind::kYunet;
  expect_error(f, "detect.model");
  f = ok;
  f.template_kind = TemplateKind::kFile;
  expect_error(f, "align.template_file");
  f = ok;
  f.width = -1;
  expect_error(f, "align.width");
  for (const double size : {0.0, -0.5, 1.5}) {
    f = ok;
    f.prior_box = size;
    expect_error(f, "align.prior_box");
  }
  f = ok;
  f.weights = {"1", "x", "1", "1", "1"};
  expect_error(f, "align.weights");
  f = ok;
  f.min_face = -3;
  expect_error(f, "detect.min_face");
}

TEST(FaceAlignOptions, YunetThresholdIsItsScore) {
  FaceAlignOptions f;
  f.threshold = 0.25;
  EXPECT_EQ(f.detector_options().threshold, 0.25);
  f.detector = DetectorKind::kYunet;
  EXPECT_EQ(f.detector_options().threshold, 0.9);
}

}  // namespace
}  // namespace fv
