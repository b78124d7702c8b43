// HeadOptions: margin names, validation messages naming the key, lambda schedule, L2-softmax alpha bound.
#include "train/head_options.h"

#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <string>

#include "core/error.h"
#include "train/margins/l2softmax.h"
#include "train/margins/lsoftmax.h"

namespace fv {
namespace {

// Expects validate() to throw ConfigError whose message contains `key`.
void expect_rejected(const HeadOptions& o, const std::string& key) {
  try {
    validate(o);
    ADD_FAILURE() << "no error for " << describe(o) << ", expected one naming " << key;
  } catch (const ConfigError& e) {
    EXPECT_NE(std::string(e.what()).find(key), std::string::npos) << e.what();
  }
}

HeadOptions opts(MarginKind kind, double m) { return HeadOptions(10, 8).kind(kind).m(m); }

TEST(HeadOptions, ParsesEveryNameAndRejectsUnknownOnes) {
  EXPECT_EQ(parse_margin_kind("softmax"), MarginKind::kSoftmax);
  EXPECT_EQ(parse_margin_kind("lsoftmax"), MarginKind::kLSoftmax);
  EXPECT_EQ(parse_margin_kind("asoftmax"), MarginKind::kASoftmax);
  EXPECT_EQ(parse_margin_kind("l2softmax"), MarginKind::kL2Softmax);
  EXPECT_EQ(parse_margin_kind("smsoftmax"), MarginKind::kSMSoftmax);
  EXPECT_EQ(parse_margin_kind("cosface"), MarginKind::kCosFace);
  EXPECT_EQ(parse_margin_kind("arcface"), MarginKind::kArcFace);
  for (const auto& [name, kind] : margin_kind_names()) EXPECT_EQ(margin_kind_name(kind), name);
  try {
    parse_margin_kind("sphereface", "train.loss");
    FAIL() << "unknown name accepted";
  } catch (const ConfigError& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("train.loss"), std::string::npos) << what;
    EXPECT_NE(what.find("sphereface"), std::string::npos) << what;
    EXPECT_NE(what.find("arcface"), std::string::npos) << what;  // lists the valid names
  }
}

TEST(HeadOptions, AcceptsThePapersSettings) {
  for (int m = 1; m <= 4; ++m) {
    EXPECT_NO_THROW(validate(opts(MarginKind::kLSoftmax, m)));
    EXPECT_NO_THROW(validate(opts(MarginKind::kASoftmax, m)));
  }
  EXPECT_NO_THROW(validate(opts(MarginKind::kSMSoftmax, 0.0)));
  EXPECT_NO_THROW(validate(opts(MarginKind::kSMSoftmax, 0.6).bias(true)));
  EXPECT_NO_THROW(validate(opts(MarginKind::kCosFace, 0.35).s(64)));
  EXPECT_NO_THROW(validate(opts(MarginKind::kArcFace, 0.5).s(64).easy_margin(true)));
  EXPECT_NO_THROW(validate(opts(MarginKind::kL2Softmax, 0).alpha(16).learn_alpha(true).bias(true)));
  EXPECT_NO_THROW(validate(opts(MarginKind::kSoftmax, 0).bias(true)));
}

TEST(HeadOptions, RejectsInvalidValuesNamingTheKey) {
  expect_rejected(HeadOptions(1, 8), "train.num_classes");
  expect_rejected(HeadOptions(10, 0), "train.embedding_dim");
  expect_rejected(opts(MarginKind::kLSoftmax, 2.5), "train.m must be an integer in {1,2,3,4} for lsoftmax");
  expect_rejected(opts(MarginKind::kLSoftmax, 5), "train.m");
  expect_rejected(opts(MarginKind::kLSoftmax, 0), "train.m");
  expect_rejected(opts(MarginKind::kASoftmax, 1.5), "train.m must be an integer in {1,2,3,4} for asoftmax");
  expect_rejected(opts(MarginKind::kLSoftmax, 2).lambda_gamma(-1), "train.lambda_gamma");
  expect_rejected(opts(MarginKind::kLSoftmax, 2).lambda_base(-1), "train.lambda_base");
  expect_rejected(opts(MarginKind::kLSoftmax, 2).lambda_power(NAN), "train.lambda_power");
  expect_rejected(opts(MarginKind::kLSoftmax, 2).lambda_min(-0.5), "train.lambda_min");
  expect_rejected(opts(MarginKind::kLSoftmax, 2).bias(true), "train.bias");
  expect_rejected(opts(MarginKind::kSMSoftmax, -0.1), "train.m");
  expect_rejected(opts(MarginKind::kCosFace, -0.1), "train.m");
  expect_rejected(opts(MarginKind::kCosFace, 1.5), "train.m");
  expect_rejected(opts(MarginKind::kCosFace, 0.35).s(0), "train.s");
  expect_rejected(opts(MarginKind::kArcFace, 2.0), "train.m");
  expect_rejected(opts(MarginKind::kArcFace, 0.5).s(-1), "train.s");
  expect_rejected(opts(MarginKind::kArcFace, 0.5).bias(true), "train.bias");
  expect_rejected(opts(MarginKind::kL2Softmax, 0).alpha(0), "train.alpha");
  expect_rejected(opts(MarginKind::kSoftmax, 0).learn_alpha(true), "train.learn_alpha");
  expect_rejected(opts(MarginKind::kCosFace, 0.3).easy_margin(true), "train.easy_margin");
}

TEST(HeadOptions, LambdaScheduleOfTheAuthorsMnistAndCifarExamples) {
  // MNIST m=4 example of the L-Softmax Caffe release: base 1000, gamma 2.5e-5, power 35, lambda_min 0.
  const auto mnist = opts(MarginKind::kLSoftmax, 4).lambda_base(1000).lambda_gamma(2.5e-5).lambda_power(35);
  EXPECT_DOUBLE_EQ(lsoftmax_lambda(mnist, 0), 1000.0);
  // 1000 * 1.025^-35 and 1000 * 1.25^-35, worked out independently (Python) to 10 digits.
  EXPECT_NEAR(lsoftmax_lambda(mnist, 1000), 421.3710663837, 1e-8);
  EXPECT_NEAR(lsoftmax_lambda(mnist, 10000), 0.4056481920730, 1e-11);
  EXPECT_LT(lsoftmax_lambda(mnist, 100000), 1e-15);
  for (int64_t it = 0; it < 20000; it += 997) {
    EXPECT_GT(lsoftmax_lambda(mnist, it), lsoftmax_lambda(mnist, it + 1));  // strictly annealed
  }
  // CIFAR m=2 example: base 1000, gamma 2e-5, power 45.
  const auto cifar = opts(MarginKind::kLSoftmax, 2).lambda_gamma(2e-5).lambda_power(45);
  EXPECT_NEAR(lsoftmax_lambda(cifar, 1000), 410.1968025099, 1e-8);
  EXPECT_NEAR(lsoftmax_lambda(cifar, 10000), 0.2734285931026, 1e-11);
  // lambda_min is a floor (SphereFace uses 5).
  const auto floored = HeadOptions(mnist).lambda_min(5.0);
  EXPECT_DOUBLE_EQ(lsoftmax_lambda(floored, 0), 1000.0);
  EXPECT_DOUBLE_EQ(lsoftmax_lambda(floored, 10000), 5.0);
  EXPECT_THROW(lsoftmax_lambda(mnist, -1), ConfigError);
}

TEST(HeadOptions, L2SoftmaxAlphaLowerBound) {
  // Ranjan et al. eq. (8) with p = 0.9: log(0.9 (C - 2) / 0.1).
  EXPECT_NEAR(l2softmax_alpha_lower_bound(10), std::log(72.0), 1e-12);
  EXPECT_NEAR(l2softmax_alpha_lower_bound(10572), 11.46299965620, 1e-9);
  EXPECT_NEAR(l2softmax_alpha_lower_bound(100, 0.99), std::log(0.99 * 98 / 0.01), 1e-12);
  EXPECT_THROW(l2softmax_alpha_lower_bound(2), ConfigError);
  EXPECT_THROW(l2softmax_alpha_lower_bound(10, 1.0), ConfigError);
  EXPECT_NE(describe(HeadOptions(10, 2).kind(MarginKind::kL2Softmax)).find("alpha_low"), std::string::npos);
}

}  // namespace
}  // namespace fv
