// google-benchmark: training images/s (forward + ArcFace head + backward + SGD step) per backbone at 112x112.
//
// Run: build/bin/fv_train_benchmark [--benchmark_filter=...]; threads = OMP_NUM_THREADS or every available
// core (printed in the context). Fixed seed; one untimed warm-up step per case; synthetic images and labels.
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>

#include "core/runtime.h"
#include "model/backbone.h"
#include "model/torch_runtime.h"
#include "train/classifier_head.h"

namespace {

constexpr int64_t kClasses = 1000;

void train_step(benchmark::State& state, fv::BackboneKind kind) {
  const int64_t batch = state.range(0);
  torch::manual_seed(0);
  auto net = fv::make_backbone(fv::BackboneOptions(kind).in_channels(3).input_height(112).input_width(112));
  const int64_t dim = net->options().embedding_dim();
  fv::ClassifierHead head(fv::HeadOptions(kClasses, dim).kind(fv::MarginKind::kArcFace).m(0.5).s(64));
  std::vector<torch::Tensor> params = net->parameters();
  for (const auto& p : head->parameters()) params.push_back(p);
  torch::optim::SGD sgd(params, torch::optim::SGDOptions(0.01).momentum(0.9).weight_decay(5e-4));
  net->train();
  const auto images = torch::randn({batch, 3, 112, 112});
  const auto labels = torch::randint(0, kClasses, {batch}, torch::kLong);
  auto step = [&] {
    sgd.zero_grad();
    auto out = head->forward(net->forward(images), labels, 0);
    out.loss.backward();
    sgd.step();
    return out.loss.item<double>();
  };
  step();  // warm-up: allocations, lazy initialisation
  for (auto _ : state) benchmark::DoNotOptimize(step());
  state.counters["img/s"] = benchmark::Counter(static_cast<double>(batch * state.iterations()), benchmark::Counter::kIsRate);
  state.counters["params_M"] = static_cast<double>(fv::parameter_count(*net)) / 1e6;
}

void register_all() {
  const std::pair<const char*, fv::BackboneKind> nets[] = {
      {"paper_cnn", fv::BackboneKind::kMnistNet},      {"sphereface20", fv::BackboneKind::kSphereFace20},
      {"mobilefacenet", fv::BackboneKind::kMobileFaceNet}, {"iresnet18", fv::BackboneKind::kIResNet18},
      {"iresnet50", fv::BackboneKind::kIResNet50},     {"iresnet100", fv::BackboneKind::kIResNet100}};
  for (const auto& [name, kind] : nets) {
    benchmark::RegisterBenchmark((std::string("train_step/") + name).c_str(), train_step, kind)
        ->Arg(8)
        ->Arg(32)
        ->Iterations(3)
        ->UseRealTime()
        ->Unit(benchmark::kMillisecond);
  }
}

}  // namespace

int main(int argc, char** argv) {
  fv::tune_allocator();
  fv::configure_torch_threads(0);
  benchmark::AddCustomContext("torch", fv::torch_runtime_summary());
  register_all();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
