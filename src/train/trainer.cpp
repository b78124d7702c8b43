// Building a training run (see trainer.h): data, network, head, optimiser; then the checkpoint restored.
#include "train/trainer.h"

#include <ATen/Context.h>
#include <fmt/format.h>
#include <torch/torch.h>

#include <cmath>

#include "core/check.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/runtime.h"
#include "model/device_memory.h"
#include "train/loss_heads.h"
#include "train/trainer_state.h"
#include "train/training_data.h"

namespace fv {
namespace {

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const OptimizerConfig& o, double lr,
                                                        std::vector<torch::Tensor> params) {
  if (o.kind == OptimizerKind::kAdamW) {
    return std::make_unique<torch::optim::AdamW>(
        params, torch::optim::AdamWOptions(lr).betas({o.beta1, o.beta2}).eps(o.eps).weight_decay(o.weight_decay));
  }
  return std::make_unique<torch::optim::SGD>(
      params, torch::optim::SGDOptions(lr).momentum(o.momentum).weight_decay(o.weight_decay).nesterov(o.nesterov));
}

}  // namespace

std::filesystem::path Trainer::checkpoint_path(const std::filesystem::path& output) {
  return output / "checkpoint.fvc";
}
std::filesystem::path Trainer::model_path(const std::filesystem::path& output) { return output / "model.fvm"; }
std::filesystem::path Trainer::best_model_path(const std::filesystem::path& output) {
  return output / "model.best.fvm";
}

Trainer::Trainer(TrainConfig config, std::string config_hash) : s_(std::make_unique<State>()) {
  State& s = *s_;
  s.config = std::move(config);
  s.config_hash = std::move(config_hash);
  const TrainConfig& c = s.config;
  s.env = parse_dist_env();
  s.device = select_device(c.device);
  if (s.device.is_cuda() && s.env.distributed()) s.device = torch::Device(torch::kCUDA, s.env.local_rank);
  FV_CHECK(c.batch_size % s.env.world_size == 0, ConfigError,
           "train.batch_size {} (images per step over all ranks) must be divisible by WORLD_SIZE={}", c.batch_size,
           s.env.world_size);
  if (!s.env.is_main()) log::set_level(log::Level::kWarn);  // rank 0 logs and writes; the others only warn
  s.comm = s.env.distributed()
               ? Communicator::create(s.env, s.device.is_cuda() ? CommDevice::kCuda : CommDevice::kCpu,
                                      std::chrono::milliseconds(static_cast<std::int64_t>(c.dist.timeout_minutes * 60000)))
               : Communicator::single();
  if (s.env.distributed()) log::info("data parallel: {}, backend {}", describe(s.env), s.comm->backend_name());
  FV_CHECK(c.amp != AmpMode::kFp16 || s.device.is_cuda(), ConfigError,
           "train.amp fp16 needs a CUDA device (bf16 runs on the CPU too)");
  const int threads = configure_torch_threads(c.threads);
  s.loader_threads = c.data.loader_threads > 0 ? c.data.loader_threads : threads;
  s.preprocess = c.preprocess();
  s.open_data();
  s.build_network();
  if (s.main_rank()) s.open_validation();
  s.restore_checkpoint();
  s.distribute();
}

void Trainer::State::open_data() {
  const TrainConfig& c = config;
  train_source = open_training_source(c.data.input, c.data.kind, c.data.labels, "data.input");
  if (!c.data.test_input.empty())
    test_source = first_samples(
        open_training_source(c.data.test_input, c.data.kind, c.data.test_labels, "data.test_input"),
        static_cast<std::size_t>(c.data.test_limit));
  config.head.num_classes(train_source->num_classes());
  validate(config.head);
  margin = make_margin(config.head);

  channels_last = use_channels_last(c.memory_format, device);
  stager = std::make_unique<BatchStager>(device, preprocess, channels_last);
  if (device.is_cuda()) at::globalContext().setBenchmarkCuDNN(c.cudnn_benchmark);
  LoaderOptions lo;
  lo.allocate = stager->allocator();
  lo.batch_size = c.batch_size / env.world_size;
  lo.rank = env.rank;
  lo.world_size = env.world_size;
  lo.shuffle = true;
  lo.seed = c.seed;
  lo.threads = loader_threads;
  lo.prefetch = c.data.prefetch;
  lo.drop_last = true;
  loader = std::make_unique<BatchLoader>(*train_source, preprocess, c.augment(), lo);
  batches_per_epoch = loader->batches_per_epoch();
  FV_CHECK_GT(batches_per_epoch, 0, ConfigError, "train.batch_size {} exceeds the {} training samples",
              c.batch_size, train_source->size());
  total_steps = c.steps > 0 ? c.steps
                            : static_cast<std::int64_t>(std::ceil(c.epochs * static_cast<double>(batches_per_epoch)));
  config.schedule.total_steps = total_steps;
  validate(config.schedule);
}

void Trainer::State::build_network() {
  const TrainConfig& c = config;
  torch::manual_seed(c.seed);
  backbone = make_backbone(c.model);
  backbone->to(device);
  if (channels_last) to_channels_last(*backbone);
  for (const auto& p : backbone->parameters()) params.push_back(p);
  StepOptions so;
  so.amp = c.amp;
  so.clip_grad_norm = c.optimizer.clip_grad_norm;
  so.comm = env.distributed() ? comm.get() : nullptr;
  HeadForward head_forward;
  if (sharded()) {
    shard = PartialFc(PartialFcOptions(config.head).sample_rate(c.sample_rate).seed(c.seed), *comm);
    shard->to(device);
    so.sharded = shard->parameters();
    shard_optimizer = make_optimizer(c.optimizer, c.schedule.lr, shard->parameters());
    head_forward = sharded_head_forward(shard, *comm);
  } else {
    head = ClassifierHead(config.head);
    head->to(device);
    for (const auto& p : head->parameters()) params.push_back(p);
    head_forward = full_head_forward(head);
  }
  optimizer = make_optimizer(c.optimizer, c.schedule.lr, params);
  std::vector<torch::optim::Optimizer*> optimizers{optimizer.get()};
  if (shard_optimizer) optimizers.push_back(shard_optimizer.get());
  step_fn = std::make_unique<TrainStep>(*backbone, head_forward, optimizers, params, so);
}

void Trainer::State::distribute() {
  if (!env.distributed()) return;
  // As DDP: rank 0's weights everywhere, then gradients averaged in buckets during backward.
  broadcast_parameters(*backbone, *comm);
  if (!sharded()) broadcast_parameters(*head, *comm);
  bucketer = std::make_unique<GradientBucketer>(params, *comm, config.dist.bucket_mb);
  step_fn->set_gradient_hook([b = bucketer.get()] { b->finish(); });
}

EvalSettings Trainer::State::eval_settings() const {
  EvalSettings e;
  e.preprocess = preprocess;
  e.batch_size = std::max(config.batch_size, 64);
  e.threads = loader_threads;
  e.device = device;
  e.channels_last = channels_last;
  return e;
}

Trainer::~Trainer() = default;

Backbone& Trainer::backbone() { return *s_->backbone; }
ClassifierHeadImpl& Trainer::head() {
  FV_CHECK(!s_->sharded(), ConfigError, "a sharded classifier (train.classifier = sharded) has no single head");
  return *s_->head;
}
std::int64_t Trainer::step() const { return s_->step; }
std::int64_t Trainer::total_steps() const { return s_->total_steps; }
int Trainer::rank() const { return s_->env.rank; }

}  // namespace fv
