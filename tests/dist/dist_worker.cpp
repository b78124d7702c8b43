// Worker process of the multi-process tests (dist_test.cpp starts 1 or 2 of them with torchrun-style
// RANK / WORLD_SIZE / MASTER_ADDR / MASTER_PORT): either runs the Communicator collectives on known tensors,
// or trains a small BN-free backbone + Partial FC (ArcFace) with the GradientBucketer for a few SGD steps on
// deterministic synthetic data; it writes what it computed under <out_dir> for the test to compare.
//
// Usage: fv_dist_worker collectives <out_dir>
//        fv_dist_worker train <out_dir> <steps> [<init_dir> <init_step>]
//        fv_dist_worker train_sampled <out_dir> <steps>   (40 classes, Partial FC sample_rate 0.25)
// (train from <init_dir>: backbone-rank-0.pt, backbone-momentum-rank-0.pt and the head shards (weight and
// momentum) of <init_step> written by any world size, i.e. a resume on another number of ranks.)
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iostream>
#include <string>
#include <vector>

#include <fmt/format.h>

#include "core/error.h"
#include "dist/dist_env.h"
#include "dist/gradient_bucketer.h"
#include "dist/process_group.h"
#include "model/backbone.h"
#include "train/head_shards.h"
#include "train/partial_fc.h"

namespace fs = std::filesystem;

namespace {

constexpr int64_t kGlobalBatch = 8;
constexpr int64_t kDim = 64;

void save_tensors(const std::vector<torch::Tensor>& tensors, const fs::path& path) {
  std::vector<torch::Tensor> cpu;
  for (const auto& t : tensors) cpu.push_back(t.detach().cpu().contiguous());
  torch::save(cpu, path.string());
}

int collectives(fv::Communicator& comm, const fs::path& out) {
  const int r = comm.rank();
  std::vector<torch::Tensor> results;
  auto a = torch::arange(6, torch::kFloat) + 10.0 * r;
  comm.allreduce_sum_(a);
  results.push_back(a);
  auto m = torch::tensor({static_cast<float>(r), static_cast<float>(-r), 3.0f * (r % 2)});
  comm.allreduce_max_(m);
  results.push_back(m);
  auto g = (torch::arange(4, torch::kLong).reshape({2, 2}) + 100 * r).contiguous();
  results.push_back(comm.all_gather(g));
  auto b = torch::full({3}, static_cast<double>(r + 1), torch::kDouble);
  comm.broadcast_(b, comm.world_size() - 1);
  results.push_back(b);
  auto x = torch::full({1000}, static_cast<float>(r + 1));
  auto h = comm.allreduce_sum_async(x);
  h->wait();
  results.push_back(x);
  comm.barrier();
  save_tensors(results, out / fmt::format("collectives-rank-{}.pt", r));
  return 0;
}

// Global batch `step`: a fixed-seed draw of 8 images and labels, identical whatever the world size.
std::pair<torch::Tensor, torch::Tensor> global_batch(int64_t step, int64_t classes) {
  auto gen = at::make_generator<at::CPUGeneratorImpl>(1000 + step);
  auto images = at::normal(0.0, 1.0, {kGlobalBatch, 3, 32, 32}, gen);
  auto labels = at::randint(0, classes, {kGlobalBatch}, gen);
  return {images, labels};
}

int train(fv::Communicator& comm, const fs::path& out, int64_t steps, const fs::path& init_dir, int64_t init_step,
          int64_t classes, double sample_rate) {
  const int rank = comm.rank(), world = comm.world_size();
  if (kGlobalBatch % world != 0) throw fv::ConfigError("the global batch of 8 needs a world size dividing it");
  const int64_t per_rank = kGlobalBatch / world;
  // Every rank builds the backbone with its own seed on purpose: broadcast_parameters must make them equal.
  torch::manual_seed(1 + 1000 * rank);
  auto backbone = fv::make_backbone(fv::BackboneOptions(fv::BackboneKind::kSphereFace20)
                                        .input_height(32).input_width(32).in_channels(3).embedding_dim(kDim));
  fv::HeadOptions head(classes, kDim);
  head.kind(fv::MarginKind::kArcFace).s(16.0).m(0.3);
  fv::PartialFc pfc(fv::PartialFcOptions(head).sample_rate(sample_rate).seed(7), comm);
  std::map<std::string, torch::Tensor> head_rows;
  std::vector<torch::Tensor> backbone_momentum;
  if (!init_dir.empty()) {
    std::vector<torch::Tensor> saved;
    torch::load(saved, (init_dir / "backbone-rank-0.pt").string());
    torch::load(backbone_momentum, (init_dir / "backbone-momentum-rank-0.pt").string());
    auto params = backbone->parameters();
    if (saved.size() != params.size() || backbone_momentum.size() != params.size()) {
      throw fv::FormatError("backbone file does not match the network");
    }
    torch::NoGradGuard no_grad;
    for (std::size_t i = 0; i < params.size(); ++i) params[i].copy_(saved[i]);
    head_rows = fv::load_head_range(init_dir, init_step, classes, pfc->range());
    pfc->weight.detach().copy_(head_rows.at("weight"));
  }
  fv::broadcast_parameters(*backbone, comm);
  fv::GradientBucketer bucketer(backbone->parameters(), comm, /*bucket_mb=*/1.0);
  std::vector<torch::Tensor> params = backbone->parameters();
  params.push_back(pfc->weight);
  torch::optim::SGD opt(params, torch::optim::SGDOptions(0.05).momentum(0.9).weight_decay(5e-4));
  if (!init_dir.empty()) {
    const auto bp = backbone->parameters();
    for (std::size_t i = 0; i < bp.size(); ++i) {
      fv::set_optimizer_state_rows(opt, bp[i], {{"momentum_buffer", backbone_momentum[i]}}, init_step);
    }
    fv::set_optimizer_state_rows(opt, pfc->weight, head_rows, init_step);
  }
  std::ofstream losses(out / fmt::format("losses-rank-{}.txt", rank));
  std::ofstream accuracies(out / fmt::format("accuracy-rank-{}.txt", rank));
  for (int64_t step = 0; step < steps; ++step) {
    auto [images, labels] = global_batch(init_step + step, classes);
    const auto x = images.narrow(0, rank * per_rank, per_rank).contiguous();
    const auto y = labels.narrow(0, rank * per_rank, per_rank).contiguous();
    opt.zero_grad();
    const auto features = backbone->forward(x);
    const auto result = pfc->forward(features, y, init_step + step);
    result.loss.backward();
    bucketer.finish();
    opt.step();
    losses << fmt::format("{:.9g}\n", result.loss.item<double>());
    accuracies << fmt::format("{:.9g}\n", fv::distributed_top1_accuracy(result.logits, result.labels, comm).item<double>());
  }
  if (rank == 0) std::cout << "buckets " << bucketer.num_buckets() << "\n";
  save_tensors(backbone->parameters(), out / fmt::format("backbone-rank-{}.pt", rank));
  std::vector<torch::Tensor> momentum;
  for (const auto& p : backbone->parameters()) {
    auto rows = fv::optimizer_state_rows(opt, p);
    momentum.push_back(rows.count("momentum_buffer") ? rows.at("momentum_buffer") : torch::zeros_like(p));
  }
  save_tensors(momentum, out / fmt::format("backbone-momentum-rank-{}.pt", rank));
  std::map<std::string, torch::Tensor> shard = fv::optimizer_state_rows(opt, pfc->weight);
  shard["weight"] = pfc->weight;
  fv::save_head_shard(out, init_step + steps, rank, world, classes, pfc->range(), shard);
  comm.barrier();
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc < 3) {
      std::cerr << "usage: fv_dist_worker collectives|train <out_dir> [steps [init_dir init_step]]\n";
      return 2;
    }
    torch::set_num_threads(1);
    const std::string mode = argv[1];
    const fs::path out = argv[2];
    fs::create_directories(out);
    const fv::DistEnv env = fv::parse_dist_env();
    auto comm = fv::Communicator::create(env, fv::CommDevice::kCpu, std::chrono::seconds(60));
    if (mode == "collectives") return collectives(*comm, out);
    if (mode == "train" && argc >= 4) {
      const fs::path init_dir = argc >= 6 ? fs::path(argv[4]) : fs::path();
      const int64_t init_step = argc >= 6 ? std::stoll(argv[5]) : 0;
      return train(*comm, out, std::stoll(argv[3]), init_dir, init_step, 10, 1.0);
    }
    if (mode == "train_sampled" && argc >= 4) return train(*comm, out, std::stoll(argv[3]), {}, 0, 40, 0.25);
    std::cerr << "unknown mode '" << mode << "'\n";
    return 2;
  } catch (const std::exception& e) {
    std::cerr << "fv_dist_worker: " << e.what() << "\n";
    return 1;
  }
}
