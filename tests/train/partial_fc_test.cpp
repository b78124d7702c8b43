// Partial FC at world 1: equal to the ClassifierHead (loss and gradients) for every supported loss; the
// distributed cross-entropy against finite differences and fv::cross_entropy; negative-class sampling;
// shard ranges; initialisation independent of the world size; rejected configurations.
#include "train/partial_fc.h"

#include <gtest/gtest.h>

#include "core/error.h"
#include "dist/process_group.h"
#include "train/classifier_head.h"
#include "train/cross_entropy.h"

namespace fv {
namespace {

// A rank of a larger world for the parts that need no collective (construction, sampling).
class FakeRank final : public Communicator {
 public:
  FakeRank(int rank, int world) : rank_(rank), world_(world) {}
  int rank() const override { return rank_; }
  int world_size() const override { return world_; }
  std::string backend_name() const override { return "fake"; }
  void allreduce_sum_(const at::Tensor&) override { fail(); }
  void allreduce_max_(const at::Tensor&) override { fail(); }
  std::unique_ptr<CommHandle> allreduce_sum_async(const at::Tensor&) override { fail(); }
  at::Tensor all_gather(const at::Tensor&) override { fail(); }
  void broadcast_(const at::Tensor&, int) override { fail(); }
  void barrier() override { fail(); }

 private:
  [[noreturn]] static void fail() { throw std::logic_error("FakeRank has no collectives"); }
  int rank_, world_;
};

HeadOptions options_for(MarginKind kind) {
  HeadOptions o(13, 6);
  o.kind(kind);
  switch (kind) {
    case MarginKind::kLSoftmax: o.m(2).lambda_base(5.0).lambda_gamma(0.1).lambda_power(1.0); break;
    case MarginKind::kASoftmax: o.m(4).lambda_base(5.0).lambda_gamma(0.1).lambda_power(1.0); break;
    case MarginKind::kSMSoftmax: o.m(0.5); break;
    case MarginKind::kCosFace: o.m(0.35).s(16.0); break;
    case MarginKind::kArcFace: o.m(0.5).s(16.0); break;
    default: break;
  }
  return o;
}

void expect_equal_to_classifier_head(MarginKind kind, torch::Dtype dtype, double tol) {
  SCOPED_TRACE(margin_kind_name(kind));
  auto comm = Communicator::single();
  const auto opts = options_for(kind);
  PartialFc pfc(PartialFcOptions(opts).seed(3), *comm);
  ClassifierHead head(opts);
  pfc->to(dtype);
  head->to(dtype);
  {
    torch::NoGradGuard no_grad;
    head->weight.copy_(pfc->weight);
  }
  torch::manual_seed(17);
  const auto x = torch::randn({9, 6}, dtype) * 2.0;
  const auto y = torch::randint(0, 13, {9}, torch::kLong);
  for (const int64_t it : {0, 7}) {
    auto xa = x.clone().requires_grad_(true), xb = x.clone().requires_grad_(true);
    pfc->zero_grad();
    head->zero_grad();
    const auto a = pfc->forward(xa, y, it);
    const auto b = head->forward(xb, y, it);
    a.loss.backward();
    b.loss.backward();
    EXPECT_NEAR(a.loss.item<double>(), b.loss.item<double>(), tol * std::max(1.0, std::abs(b.loss.item<double>())));
    EXPECT_NEAR(a.lambda, b.lambda, 1e-12);
    EXPECT_LT((a.logits - b.logits).abs().max().item<double>(), tol * 10);
    // Gradients relative to their largest entry (the cosine heads' weight gradients scale with s / ||W_j||,
    // hundreds for the 0.01-scale initial weights).
    auto scale = [](const torch::Tensor& t) { return std::max(1.0, t.abs().max().item<double>()); };
    EXPECT_LT((xa.grad() - xb.grad()).abs().max().item<double>(), tol * scale(xb.grad())) << "feature gradient";
    EXPECT_LT((pfc->weight.grad() - head->weight.grad()).abs().max().item<double>(), tol * scale(head->weight.grad()))
        << "weight gradient";
    EXPECT_TRUE(torch::equal(a.classes, torch::arange(13, torch::kLong)));
    EXPECT_TRUE(torch::equal(a.labels, y));
  }
}

TEST(PartialFc, WorldOneEqualsTheClassifierHeadForEverySupportedLoss) {
  for (const auto kind : {MarginKind::kSoftmax, MarginKind::kLSoftmax, MarginKind::kASoftmax, MarginKind::kSMSoftmax,
                          MarginKind::kCosFace, MarginKind::kArcFace}) {
    expect_equal_to_classifier_head(kind, torch::kDouble, 1e-10);
    expect_equal_to_classifier_head(kind, torch::kFloat, 1e-6);
  }
}

TEST(PartialFc, DistributedCrossEntropyMatchesCrossEntropyAndFiniteDifferences) {
  auto comm = Communicator::single();
  torch::manual_seed(5);
  const auto z = (torch::randn({5, 7}, torch::kDouble) * 3.0).requires_grad_(true);
  const auto y = torch::tensor({0, 6, 3, 3, 1}, torch::kLong);
  const auto loss = distributed_cross_entropy(z, y, *comm);
  EXPECT_NEAR(loss.item<double>(), cross_entropy(z, y).item<double>(), 1e-12);
  loss.backward();
  const auto analytic = z.grad().clone();
  const double h = 1e-6;
  for (int64_t i = 0; i < 5; ++i) {
    for (int64_t j = 0; j < 7; ++j) {
      torch::NoGradGuard no_grad;
      auto zp = z.detach().clone(), zm = z.detach().clone();
      zp[i][j] += h;
      zm[i][j] -= h;
      const double numeric = (distributed_cross_entropy(zp, y, *comm).item<double>() -
                              distributed_cross_entropy(zm, y, *comm).item<double>()) / (2 * h);
      EXPECT_NEAR(analytic[i][j].item<double>(), numeric, 1e-8) << i << "," << j;
    }
  }
  // Scaled upstream gradient.
  z.mutable_grad().zero_();
  (distributed_cross_entropy(z, y, *comm) * 3.0).backward();
  EXPECT_LT((z.grad() - analytic * 3.0).abs().max().item<double>(), 1e-12);
}

TEST(PartialFc, DistributedTop1AccuracyMatchesTop1Accuracy) {
  auto comm = Communicator::single();
  torch::manual_seed(12);
  const auto z = torch::randn({50, 6});
  const auto y = torch::randint(0, 6, {50}, torch::kLong);
  const double expected = top1_accuracy(z, y).item<double>();
  EXPECT_GT(expected, 0.0);
  EXPECT_DOUBLE_EQ(distributed_top1_accuracy(z, y, *comm).item<double>(), expected);
  // Labels not on this rank (-1) are never hits here.
  EXPECT_DOUBLE_EQ(distributed_top1_accuracy(z, torch::full({50}, -1, torch::kLong), *comm).item<double>(), 0.0);
}

TEST(PartialFc, SamplingKeepsPositivesAndIsDeterministic) {
  auto comm = Communicator::single();
  HeadOptions o(100, 4);
  o.kind(MarginKind::kCosFace).m(0.2).s(8.0);
  PartialFc pfc(PartialFcOptions(o).sample_rate(0.1).seed(9), *comm);
  EXPECT_EQ(pfc->num_sampled(), 10);
  const auto labels = torch::tensor({42, 7, 42, 99}, torch::kLong);
  const auto a = pfc->sample_classes(labels, 3);
  ASSERT_EQ(a.numel(), 10);
  EXPECT_TRUE(torch::equal(a, std::get<0>(a.sort())));
  EXPECT_EQ(std::get<0>(torch::_unique(a)).numel(), 10);
  for (const int64_t c : {7, 42, 99}) EXPECT_TRUE(a.eq(c).any().item<bool>()) << c;
  EXPECT_TRUE(torch::equal(a, pfc->sample_classes(labels, 3)));
  EXPECT_FALSE(torch::equal(a, pfc->sample_classes(labels, 4)));
  PartialFc other(PartialFcOptions(o).sample_rate(0.1).seed(10), *comm);
  EXPECT_FALSE(torch::equal(a, other->sample_classes(labels, 3)));
  // More positives than the sampled count: all of them, nothing else.
  const auto many = torch::arange(0, 60, 4, torch::kLong);  // 15 classes
  EXPECT_TRUE(torch::equal(pfc->sample_classes(many, 0), many));
  // ceil: 0.013 * 100 -> 2 columns.
  PartialFc tiny(PartialFcOptions(o).sample_rate(0.013), *comm);
  EXPECT_EQ(tiny->num_sampled(), 2);
}

// With sampling, the loss is the ClassifierHead's over the sampled columns only (labels remapped).
TEST(PartialFc, SampledForwardEqualsTheHeadOnTheSampledColumns) {
  auto comm = Communicator::single();
  HeadOptions o(40, 5);
  o.kind(MarginKind::kArcFace).m(0.4).s(10.0);
  PartialFc pfc(PartialFcOptions(o).sample_rate(0.25).seed(2), *comm);
  torch::manual_seed(8);
  const auto x = torch::randn({6, 5}, torch::kFloat);
  const auto y = torch::tensor({3, 17, 17, 39, 0, 22}, torch::kLong);
  const auto out = pfc->forward(x, y, 5);
  ASSERT_EQ(out.classes.numel(), 10);
  HeadOptions sub(10, 5);
  sub.kind(MarginKind::kArcFace).m(0.4).s(10.0);
  ClassifierHead head(sub);
  {
    torch::NoGradGuard no_grad;
    head->weight.copy_(pfc->weight.index_select(0, out.classes));
  }
  const auto remapped = torch::searchsorted(out.classes, y);
  EXPECT_TRUE(torch::equal(out.labels, remapped));
  const auto ref = head->forward(x, remapped, 5);
  EXPECT_NEAR(out.loss.item<double>(), ref.loss.item<double>(), 1e-5);
  out.loss.backward();
  // Unsampled rows of the shard get no gradient.
  const auto grad_rows = pfc->weight.grad().abs().sum(1).gt(0).nonzero().squeeze(1);
  EXPECT_TRUE(torch::equal(grad_rows, out.classes));
}

TEST(PartialFc, ShardRangesAndWorldIndependentInitialisation) {
  EXPECT_EQ(shard_range(10, 3, 0), (ClassRange{0, 4}));
  EXPECT_EQ(shard_range(10, 3, 1), (ClassRange{4, 7}));
  EXPECT_EQ(shard_range(10, 3, 2), (ClassRange{7, 10}));
  EXPECT_EQ(shard_range(10, 1, 0), (ClassRange{0, 10}));
  EXPECT_THROW(shard_range(2, 3, 0), ConfigError);
  EXPECT_THROW(shard_range(10, 3, 3), ConfigError);

  HeadOptions o(2500, 3);  // more than two initialisation blocks of 1024 rows
  o.kind(MarginKind::kCosFace);
  auto single = Communicator::single();
  PartialFc whole(PartialFcOptions(o).seed(4), *single);
  std::vector<torch::Tensor> parts;
  for (int r = 0; r < 3; ++r) {
    FakeRank rank(r, 3);
    PartialFc shard(PartialFcOptions(o).seed(4), rank);
    EXPECT_EQ(shard->range(), shard_range(2500, 3, r));
    parts.push_back(shard->weight.detach());
  }
  EXPECT_TRUE(torch::equal(torch::cat(parts), whole->weight.detach()));
  const double std = whole->weight.detach().std().item<double>();
  EXPECT_NEAR(std, 0.01, 0.001);
}

TEST(PartialFc, UnsupportedConfigurationsNameTheKey) {
  auto comm = Communicator::single();
  auto error_of = [&](const PartialFcOptions& o) -> std::string {
    try {
      PartialFc pfc(o, *comm);
    } catch (const ConfigError& e) {
      return e.what();
    }
    return "(no error)";
  };
  HeadOptions l2(10, 4);
  l2.kind(MarginKind::kL2Softmax);
  EXPECT_NE(error_of(PartialFcOptions(l2)).find("train.loss"), std::string::npos);
  HeadOptions biased(10, 4);
  biased.kind(MarginKind::kSoftmax).bias(true);
  EXPECT_NE(error_of(PartialFcOptions(biased)).find("train.bias"), std::string::npos);
  HeadOptions ok(10, 4);
  ok.kind(MarginKind::kArcFace).m(0.5);
  EXPECT_NE(error_of(PartialFcOptions(ok).sample_rate(0.0)).find("train.sample_rate"), std::string::npos);
  EXPECT_NE(error_of(PartialFcOptions(ok).sample_rate(1.5)).find("train.sample_rate"), std::string::npos);
  EXPECT_EQ(error_of(PartialFcOptions(ok).sample_rate(0.5)), "(no error)");
}

TEST(PartialFc, BadInputsAreDataErrors) {
  auto comm = Communicator::single();
  HeadOptions o(10, 4);
  o.kind(MarginKind::kCosFace).m(0.2);
  PartialFc pfc(PartialFcOptions(o), *comm);
  EXPECT_THROW(pfc->forward(torch::randn({3, 5}), torch::zeros({3}, torch::kLong), 0), DataError);
  EXPECT_THROW(pfc->forward(torch::randn({3, 4}), torch::zeros({2}, torch::kLong), 0), DataError);
  EXPECT_THROW(pfc->forward(torch::randn({3, 4}), torch::full({3}, 10, torch::kLong), 0), DataError);
  EXPECT_THROW(pfc->forward(torch::randn({3, 4}), torch::zeros({3}, torch::kLong), -1), DataError);
}

}  // namespace
}  // namespace fv
