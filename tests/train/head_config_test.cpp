// The loss and backbone keys: parsed from the command line and INI files into HeadOptions/BackboneOptions.
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "core/error.h"
#include "core/options.h"
#include "model/backbone.h"
#include "support/temp_dir.h"
#include "train/head_options.h"

namespace fv {
namespace {

bool parse(OptionSet& o, std::vector<std::string> args) {
  args.insert(args.begin(), "fv-train");
  std::vector<const char*> argv;
  for (const auto& a : args) argv.push_back(a.c_str());
  return o.parse(static_cast<int>(argv.size()), argv.data());
}

TEST(HeadConfig, CommandLineAndIniFillTheOptions) {
  testing::TempDir dir;
  testing::write_text(dir / "run.ini",
                      "[train]\nloss = lsoftmax\nm = 2\nlambda_gamma = 2e-5\nlambda_power = 45\n"
                      "[model]\nbackbone = mnist\nembedding_dim = 2\n");
  HeadOptions head(10, 1);
  BackboneOptions model(BackboneKind::kIResNet50);
  OptionSet set("fv-train", "test");
  bind(set, &head);
  bind(set, &model);
  ASSERT_TRUE(parse(set, {"--config", (dir / "run.ini").string(), "--train.m", "4"}));
  EXPECT_EQ(head.kind(), MarginKind::kLSoftmax);
  EXPECT_EQ(head.m(), 4.0);  // the command line beats the file
  EXPECT_EQ(head.lambda_gamma(), 2e-5);
  EXPECT_EQ(head.lambda_power(), 45.0);
  EXPECT_EQ(head.lambda_base(), 1000.0);  // default kept
  EXPECT_NO_THROW(validate(head));
  EXPECT_EQ(model.kind(), BackboneKind::kMnistNet);
  EXPECT_EQ(resolve(model).embedding_dim(), 2);
  EXPECT_EQ(resolve(model).input_height(), 28);
  const std::string ini = set.resolved_ini();
  EXPECT_NE(ini.find("loss = lsoftmax"), std::string::npos) << ini;
  EXPECT_NE(ini.find("backbone = mnist"), std::string::npos) << ini;
}

TEST(HeadConfig, BadValuesNameTheKey) {
  HeadOptions head(10, 8);
  OptionSet set("fv-train", "test");
  bind(set, &head);
  try {
    parse(set, {"--train.loss", "sphereface"});
    FAIL() << "unknown loss accepted";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train.loss"), std::string::npos) << e.what();
  }
  HeadOptions head2(10, 8);
  OptionSet set2("fv-train", "test");
  bind(set2, &head2);
  ASSERT_TRUE(parse(set2, {"--train.loss", "asoftmax", "--train.m", "1.5"}));
  try {
    validate(head2);
    FAIL() << "m = 1.5 accepted for asoftmax";
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find("train.m must be an integer in {1,2,3,4} for asoftmax"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace fv
