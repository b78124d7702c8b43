// google-benchmark of fv-eval's verification metrics, in pairs/s: LFW-style scoring of 6,000 pairs of 512-D
// embeddings end to end (normalise, distances, 10-fold accuracy, ROC, AUC, EER, TAR@FAR), and its kernels:
// exact ROC (sort + sweep), TAR@FAR, 10-fold accuracy (grid and exact thresholds). One thread; fixed seeds.
#include <benchmark/benchmark.h>

#include <random>

#include "common/machine_context.h"
#include "protocol/kfold.h"
#include "eval/roc.h"
#include "eval/verification.h"

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

void set_pairs_rate(benchmark::State& state, std::int64_t pairs) {
  state.SetItemsProcessed(state.iterations() * pairs);
  state.counters["pairs/s"] = benchmark::Counter(static_cast<double>(state.iterations() * pairs), benchmark::Counter::kIsRate);
}

// LFW protocol as fv-eval runs it on an embeddings file: 12,000 images (6,000 pairs, 10 folds of 600,
// half same), D = 512, embeddings of a pair correlated for same pairs.
void BM_LfwVerification(benchmark::State& state) {
  const std::int64_t pairs = state.range(0);
  const std::int64_t dim = 512;
  std::mt19937_64 rng(7);
  std::normal_distribution<float> normal;
  std::vector<float> emb(static_cast<std::size_t>(2 * pairs * dim));
  fv::protocol::IndexedPairs p;
  for (std::int64_t i = 0; i < pairs; ++i) {
    const bool same = (i / (pairs / 20)) % 2 == 0;  // blocks of 300 same / 300 different, as LFW folds
    for (std::int64_t d = 0; d < dim; ++d) {
      const float x = normal(rng);
      emb[static_cast<std::size_t>(2 * i * dim + d)] = x;
      emb[static_cast<std::size_t>((2 * i + 1) * dim + d)] = same ? x + 1.2f * normal(rng) : normal(rng);
    }
    p.a.push_back(2 * i);
    p.b.push_back(2 * i + 1);
    p.same.push_back(same ? 1 : 0);
  }
  const fv::eval::VerificationOptions options;  // 10 folds, insightface's threshold grid, FAR targets 1e-6..1e-1
  for (auto _ : state) {
    const auto normalized = fv::protocol::l2_normalized(emb, dim);
    const auto result = fv::eval::score_pairs(fv::protocol::squared_distances(normalized, dim, p), p.same, options);
    benchmark::DoNotOptimize(result.auc);
  }
  set_pairs_rate(state, pairs);
}
BENCHMARK(BM_LfwVerification)->Arg(6000)->Unit(benchmark::kMillisecond);

void BM_ComputeRoc(benchmark::State& state) {
  std::vector<double> scores;
  std::vector<std::uint8_t> same;
  make_scores(state.range(0), &scores, &same);
  for (auto _ : state) benchmark::DoNotOptimize(fv::eval::compute_roc(scores, same).points.size());
  set_pairs_rate(state, state.range(0));
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
  set_pairs_rate(state, state.range(0));
}
BENCHMARK(BM_TarAtFarInsightface)->Arg(1 << 20)->Unit(benchmark::kMillisecond);

// 10-fold accuracy of 6,000 distances; arg 0: insightface's threshold grid (0..4 step 0.01), 1: exact thresholds.
void BM_KFoldLfw(benchmark::State& state) {
  std::vector<double> scores;
  std::vector<std::uint8_t> same;
  make_scores(6000, &scores, &same);
  for (auto& s : scores) s = 2.0 - s * 0.5;  // distances in [0, 4) mostly
  fv::protocol::KFoldOptions opt;
  opt.mode = state.range(0) == 0 ? fv::protocol::ThresholdMode::kGrid : fv::protocol::ThresholdMode::kExact;
  for (auto _ : state) benchmark::DoNotOptimize(fv::protocol::kfold_verification(scores, same, opt).accuracy_mean);
  set_pairs_rate(state, 6000);
}
BENCHMARK(BM_KFoldLfw)->Arg(0)->Arg(1)->Unit(benchmark::kMillisecond);

}  // namespace

int main(int argc, char** argv) {
  fv::bench::add_machine_context("1");
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
