// Embedding throughput (images/s) of the model-file embedder at several batch sizes: iResNet-18 and
// MobileFaceNet at 112x112x3, random weights (fixed seed), inputs already preprocessed (no decoding).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <cstdlib>
#include <filesystem>
#include <map>
#include <memory>
#include <random>

#include "embed/model_embedder.h"
#include "model/model_file.h"
#include "model/torch_runtime.h"

namespace {

// The temporary folder holding the benchmark's model files (removed at exit).
const std::filesystem::path& bench_dir() {
  static const std::filesystem::path dir = [] {
    std::string tmpl = (std::filesystem::temp_directory_path() / "fv-embed-bench-XXXXXX").string();
    return std::filesystem::path(mkdtemp(tmpl.data()));
  }();
  return dir;
}

// A model file per backbone, written once.
std::filesystem::path model_file(fv::BackboneKind kind) {
  static std::map<fv::BackboneKind, std::filesystem::path> files;
  if (auto it = files.find(kind); it != files.end()) return it->second;
  const auto& dir = bench_dir();
  torch::manual_seed(1);
  auto backbone = fv::make_backbone(fv::BackboneOptions(kind).input_height(112).input_width(112));
  fv::ModelMeta meta;
  meta.backbone = backbone->options();
  meta.producer = "fv_embed_benchmark (random weights)";
  const auto path = dir / (fv::backbone_kind_name(kind) + ".fvm");
  fv::save_model_file(path, meta, *backbone);
  return files[kind] = path;
}

void BM_Embed(benchmark::State& state, fv::BackboneKind kind) {
  const std::int64_t batch = state.range(0);
  auto embedder = fv::make_model_embedder(model_file(kind), fv::DeviceKind::kCpu);
  const auto& p = embedder->preprocess();
  std::vector<float> inputs(static_cast<std::size_t>(batch) * p.channels * p.height * p.width);
  std::mt19937 rng(42);
  std::uniform_real_distribution<float> u(-1.f, 1.f);
  for (float& x : inputs) x = u(rng);
  std::vector<float> out(static_cast<std::size_t>(batch * embedder->dim()));
  embedder->embed(inputs.data(), batch, out.data());  // warm-up (allocator, oneDNN primitives)
  for (auto _ : state) {
    embedder->embed(inputs.data(), batch, out.data());
    benchmark::DoNotOptimize(out.data());
  }
  state.SetItemsProcessed(state.iterations() * batch);
  state.counters["threads"] = torch::get_num_threads();
  state.SetLabel(fv::torch_runtime_summary());
}
BENCHMARK_CAPTURE(BM_Embed, iresnet18, fv::BackboneKind::kIResNet18)
    ->Arg(1)->Arg(8)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);
BENCHMARK_CAPTURE(BM_Embed, mobilefacenet, fv::BackboneKind::kMobileFaceNet)
    ->Arg(1)->Arg(8)->Arg(32)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  // Threads: OMP_NUM_THREADS when set, else every available core.
  const char* env = std::getenv("OMP_NUM_THREADS");
  fv::configure_torch_threads(env ? std::atoi(env) : 0);
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  std::error_code ec;
  std::filesystem::remove_all(bench_dir(), ec);
  return 0;
}
