// GradientBucketer in a world of one: buckets in reverse registration order, all-reduces launched during
// backward as buckets complete, gradients written back unchanged, zeros for unused parameters.
#include "dist/gradient_bucketer.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "dist/process_group.h"

namespace fv {
namespace {

struct Net : torch::nn::Module {
  Net() {
    unused = register_module("unused", torch::nn::Linear(3, 3));  // registered first: its bucket is last
    l1 = register_module("l1", torch::nn::Linear(5, 4));
    l2 = register_module("l2", torch::nn::Linear(4, 3));
  }
  torch::Tensor forward(const torch::Tensor& x) { return l2(torch::tanh(l1(x))); }
  torch::nn::Linear unused{nullptr}, l1{nullptr}, l2{nullptr};
};

torch::Tensor loss_of(Net& net, int64_t seed) {
  torch::manual_seed(seed);
  const auto x = torch::randn({6, 5});
  return net.forward(x).pow(2).sum();
}

TEST(GradientBucketer, WorldOfOneLeavesGradientsUnchangedAndZeroesUnused) {
  torch::manual_seed(3);
  Net net;
  // Reference gradients without the bucketer.
  loss_of(net, 11).backward();
  std::vector<torch::Tensor> reference;
  for (const auto& p : net.parameters()) reference.push_back(p.grad().defined() ? p.grad().clone() : torch::Tensor());
  for (auto& p : net.parameters()) p.mutable_grad() = torch::Tensor();

  auto comm = Communicator::single();
  GradientBucketer bucketer(net.parameters(), *comm, /*bucket_mb=*/1e-5);  // ~10 bytes: one parameter per bucket
  ASSERT_EQ(bucketer.num_buckets(), 6);
  // Reverse registration order: l2.bias, l2.weight, l1.bias, l1.weight, unused.bias, unused.weight.
  EXPECT_EQ(bucketer.bucket_parameters(0), std::vector<std::size_t>{5});
  EXPECT_EQ(bucketer.bucket_parameters(5), std::vector<std::size_t>{0});
  for (int round = 0; round < 2; ++round) {
    net.zero_grad();
    loss_of(net, 11).backward();
    // The four used parameters' buckets were launched during backward; the unused ones wait for finish().
    EXPECT_EQ(bucketer.launched_buckets(), 4);
    bucketer.finish();
    EXPECT_EQ(bucketer.launched_buckets(), 0);
    const auto params = net.parameters();
    for (std::size_t i = 0; i < params.size(); ++i) {
      ASSERT_TRUE(params[i].grad().defined());
      if (reference[i].defined()) {
        EXPECT_TRUE(torch::equal(params[i].grad(), reference[i])) << "parameter " << i;
      } else {
        EXPECT_TRUE(torch::equal(params[i].grad(), torch::zeros_like(params[i]))) << "parameter " << i;
      }
    }
  }
}

TEST(GradientBucketer, LargeBucketHoldsEverythingAndTwoBackwardsWithoutFinishThrow) {
  torch::manual_seed(3);
  Net net;
  auto comm = Communicator::single();
  GradientBucketer bucketer(net.parameters(), *comm);
  EXPECT_EQ(bucketer.num_buckets(), 1);
  EXPECT_EQ(bucketer.bucket_parameters(0), (std::vector<std::size_t>{5, 4, 3, 2, 1, 0}));
  loss_of(net, 1).backward();
  EXPECT_EQ(bucketer.launched_buckets(), 0);  // the unused parameters keep the one bucket open
  EXPECT_THROW(loss_of(net, 2).backward(), std::exception);  // the same gradients again before finish()
  bucketer.finish();
  EXPECT_THROW(GradientBucketer(net.parameters(), *comm, 0.0), ConfigError);
  EXPECT_THROW(GradientBucketer({}, *comm), ConfigError);
}

TEST(GradientBucketer, BroadcastParametersInAWorldOfOneChangesNothing) {
  torch::manual_seed(5);
  Net net;
  std::vector<torch::Tensor> before;
  for (const auto& p : net.parameters()) before.push_back(p.detach().clone());
  auto comm = Communicator::single();
  broadcast_parameters(net, *comm);
  const auto after = net.parameters();
  for (std::size_t i = 0; i < before.size(); ++i) EXPECT_TRUE(torch::equal(before[i], after[i]));
}

}  // namespace
}  // namespace fv
