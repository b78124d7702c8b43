// google-benchmark of fv-eval's metric kernels: exact ROC (sort + sweep), TAR@FAR, 10-fold accuracy.
#include <benchmark/benchmark.h>

#include <random>

#include "eval/kfold.h"
#include "eval/roc.h"

namespace {

void make_scores(std::int64_t n, std::vector<double>* scores, std::vector<std::uint8_t>* same) {
  std::mt19937_64 rng(42);
  std::normal_distribution<double> normal;
  std::bernoulli_distribution coin(0.5);
  scores->resize(static_cast<std::size_t>(n));
  same->resize(static_cast<std::size_t>(n));
  for (std::int64_t i = 0; i < n; ++i) {
    (*same)[i] = coin(rng) ? 1 : 0;
    (*scores)[i] = normal(rng) + 1.5 * (*same)[i];
  }
}

void BM_ComputeRoc(benchmark::State& state) {
  std::vector<double> scores;
  std::vector<std::uint8_t> same;
  make_scores(state.range(0), &scores, &same);
  for (auto _ : state) benchmark::DoNotOptimize(fv::eval::compute_roc(scores, same).points.size());
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_ComputeRoc)->Arg(6000)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

void BM_TarAtFarInsightface(benchmark::State& state) {
  std::vector<double> scores;
  std::vector<std::uint8_t> same;
  make_scores(state.range(0), &scores, &same);
  const fv::eval::Roc roc = fv::eval::compute_roc(scores, same);
  const std::vector<double> targets = {1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1};
  for (auto _ : state) {
    benchmark::DoNotOptimize(fv::eval::tar_at_fars(roc, targets, fv::eval::TarAtFarConvention::kInsightface));
  }
  state.SetItemsProcessed(state.iterations() * state.range(0));
}
BENCHMARK(BM_TarAtFarInsightface)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

void BM_KFoldLfwGrid(benchmark::State& state) {
  std::vector<double> scores;
  std::vector<std::uint8_t> same;
  make_scores(6000, &scores, &same);
  for (auto& s : scores) s = 2.0 - s * 0.5;  // distances in [0, 4) mostly
  fv::eval::KFoldOptions opt;
  opt.mode = state.range(0) == 0 ? fv::eval::ThresholdMode::kGrid : fv::eval::ThresholdMode::kExact;
  for (auto _ : state) benchmark::DoNotOptimize(fv::eval::kfold_verification(scores, same, opt).accuracy_mean);
  state.SetItemsProcessed(state.iterations() * 6000);
}
BENCHMARK(BM_KFoldLfwGrid)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
