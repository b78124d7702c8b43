// The world-of-one Communicator (every collective leaves its tensor as it is), the errors of create(), and a real
// process group of one process per device (Gloo on the CPU, NCCL on CUDA where a GPU is visible).
#include "dist/process_group.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include "core/error.h"
#include "launcher.h"
#include "support/on_device.h"

namespace fv {
namespace {

TEST(Communicator, WorldOfOneIsANoOp) {
  DistEnv env;
  auto comm = Communicator::create(env, CommDevice::kCpu);
  EXPECT_EQ(comm->rank(), 0);
  EXPECT_EQ(comm->world_size(), 1);
  EXPECT_TRUE(comm->is_main());
  EXPECT_EQ(comm->backend_name(), "single");
  auto a = torch::arange(5, torch::kFloat);
  comm->allreduce_sum_(a);
  EXPECT_TRUE(torch::equal(a, torch::arange(5, torch::kFloat)));
  comm->allreduce_max_(a);
  EXPECT_TRUE(torch::equal(a, torch::arange(5, torch::kFloat)));
  comm->allreduce_sum_async(a)->wait();
  EXPECT_TRUE(torch::equal(a, torch::arange(5, torch::kFloat)));
  const auto g = comm->all_gather(a.reshape({5, 1}));
  EXPECT_TRUE(torch::equal(g, a.reshape({5, 1})));
  g.add_(1);  // a new tensor, not a view of the input
  EXPECT_TRUE(torch::equal(a, torch::arange(5, torch::kFloat)));
  comm->broadcast_(a, 0);
  comm->barrier();
  EXPECT_THROW(comm->broadcast_(a, 1), DataError);
  EXPECT_THROW(comm->allreduce_sum_(torch::zeros({3, 4}).t()), DataError);  // not contiguous
}

TEST(Communicator, MissingBackendIsAConfigErrorNamingIt) {
  DistEnv env;
  env.world_size = 2;
  env.rank = 1;
  env.master_addr = "127.0.0.1";
  env.master_port = 1;
  if (!Communicator::has_backend(CommDevice::kCuda)) {
    try {
      Communicator::create(env, CommDevice::kCuda, std::chrono::seconds(1));
      FAIL() << "expected ConfigError";
    } catch (const ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("NCCL"), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("WORLD_SIZE=2"), std::string::npos) << e.what();
    }
  }
  if (!Communicator::has_backend(CommDevice::kCpu)) {
    EXPECT_THROW(Communicator::create(env, CommDevice::kCpu, std::chrono::seconds(1)), ConfigError);
  }
}

TEST(Communicator, UnreachableRendezvousIsADataErrorNamingTheMaster) {
  if (!Communicator::has_backend(CommDevice::kCpu)) GTEST_SKIP() << "no Gloo backend in this build";
  DistEnv env;
  env.world_size = 2;
  env.rank = 1;  // a client: nobody listens on port 1
  env.master_addr = "127.0.0.1";
  env.master_port = 1;
  try {
    Communicator::create(env, CommDevice::kCpu, std::chrono::milliseconds(1500));
    FAIL() << "expected DataError";
  } catch (const DataError& e) {
    EXPECT_NE(std::string(e.what()).find("MASTER_ADDR=127.0.0.1 MASTER_PORT=1"), std::string::npos) << e.what();
  }
}

// create_group() makes the c10d group even for one process: every collective goes through Gloo / NCCL and, with
// nobody else in the world, leaves the values as they are.
class CommunicatorOnDevice : public testing::OnDevice {};

TEST_P(CommunicatorOnDevice, AProcessGroupOfOneRunsEveryCollective) {
  const CommDevice d = is_cuda() ? CommDevice::kCuda : CommDevice::kCpu;
  if (!Communicator::has_backend(d)) GTEST_SKIP() << "no " << (is_cuda() ? "NCCL" : "Gloo") << " backend in this build";
  DistEnv env;
  env.master_addr = "127.0.0.1";
  env.master_port = testing::free_loopback_port();
  const auto comm = Communicator::create_group(env, d, std::chrono::seconds(60));
  EXPECT_EQ(comm->backend_name(), is_cuda() ? "nccl" : "gloo");
  EXPECT_EQ(comm->world_size(), 1);
  const auto expected = torch::arange(5, torch::kFloat).to(device());
  auto a = expected.clone();
  comm->allreduce_sum_(a);
  EXPECT_TRUE(torch::equal(a, expected));
  comm->allreduce_max_(a);
  EXPECT_TRUE(torch::equal(a, expected));
  comm->allreduce_sum_async(a)->wait();
  EXPECT_TRUE(torch::equal(a, expected));
  const auto g = comm->all_gather(a.reshape({5, 1}));
  EXPECT_EQ(g.device(), device());
  EXPECT_TRUE(torch::equal(g, expected.reshape({5, 1})));
  comm->broadcast_(a, 0);
  EXPECT_TRUE(torch::equal(a, expected));
  comm->barrier();
}

FV_INSTANTIATE_ON_DEVICES(CommunicatorOnDevice);

}  // namespace
}  // namespace fv
