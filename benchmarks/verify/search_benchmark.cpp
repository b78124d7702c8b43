// 1:N search time (probes/s and pairs/s = probes x gallery size) against a gallery of 10^6 L2-normalised 512-D embeddings (synthetic, fixed seed).
#include <benchmark/benchmark.h>
#include <torch/torch.h>

#include <string>

#include "common/machine_context.h"
#include "common/torch_info.h"
#include "core/runtime.h"
#include "model/torch_runtime.h"
#include "verify/gallery_search.h"

namespace {

const std::vector<float>& gallery() {
  static const std::vector<float> g = [] {
    torch::manual_seed(7);
    const torch::Tensor t = torch::nn::functional::normalize(torch::randn({1000000, 512}),
                                                             torch::nn::functional::NormalizeFuncOptions().dim(1));
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  }();
  return g;
}

void BM_Search1M(benchmark::State& state) {
  const std::int64_t probes = state.range(0);
  const auto& g = gallery();
  torch::manual_seed(8);
  const torch::Tensor p = torch::randn({probes, 512});
  const std::vector<float> pv(p.data_ptr<float>(), p.data_ptr<float>() + p.numel());
  fv::SearchOptions o;
  o.top_k = 10;
  for (auto _ : state) {
    auto r = fv::search_gallery(g.data(), 1000000, pv.data(), probes, 512, o);
    benchmark::DoNotOptimize(r.data());
  }
  state.counters["probes/s"] = benchmark::Counter(static_cast<double>(state.iterations() * probes), benchmark::Counter::kIsRate);
  state.counters["pairs/s"] =
      benchmark::Counter(static_cast<double>(state.iterations() * probes) * 1e6, benchmark::Counter::kIsRate);
  state.SetLabel(fv::torch_runtime_summary());
}
BENCHMARK(BM_Search1M)->Arg(1)->Arg(64)->Unit(benchmark::kMillisecond)->UseRealTime()->MinTime(2.0);

}  // namespace

int main(int argc, char** argv) {
  const int threads = fv::configure_torch_threads(0);
  fv::bench::add_machine_context(std::to_string(threads), fv::bench::torch_device_summary(torch::kCPU));
  benchmark::Initialize(&argc, argv);
  benchmark::RunSpecifiedBenchmarks();
  return 0;
}
