// Reading an insightface-sized .bin verification set: a 12,000-image, ~400 MB pickle (protocol 4, as
// pickle.HIGHEST_PROTOCOL writes it) parsed by read_bin_set. Reports bytes/s and the resident-memory growth
// (the file is memory-mapped, so the heap should stay small). BM_ParseManyValues times the interpreter
// itself: 1,000,000 pairs of 16-byte images (3,000,003 values) parsed from memory, values/s.
#include <benchmark/benchmark.h>

#include <sys/resource.h>

#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <string>

#include "common/machine_context.h"
#include "dataset/pickle_bin.h"

namespace {

constexpr int kImages = 12000;
constexpr std::size_t kImageBytes = 33 * 1024;

std::string le(std::uint64_t v, int n) {
  std::string s;
  for (int i = 0; i < n; ++i) s.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
  return s;
}

// Writes (bins, issame_list) as Python's protocol-4 pickler does for bytes and bools (without FRAMEs).
const std::filesystem::path& bin_file() {
  static const std::filesystem::path path = [] {
    const auto p = std::filesystem::temp_directory_path() / "fv_bin_read_benchmark.bin";
    std::ofstream out(p, std::ios::binary);
    std::mt19937 rng(3);
    std::string image(kImageBytes, '\0');
    out << "\x80\x04]\x94(";
    for (int i = 0; i < kImages; ++i) {
      for (auto& c : image) c = static_cast<char>(rng());
      out << 'B' << le(kImageBytes, 4) << image << '\x94';
    }
    out << "e]\x94(";
    for (int i = 0; i < kImages / 2; ++i) out << (i % 2 ? '\x89' : '\x88');
    out << "e\x86\x94.";
    return p;
  }();
  return path;
}

long max_rss_kb() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_maxrss;
}

void BM_ReadBin(benchmark::State& state) {
  const auto& path = bin_file();
  const auto bytes = std::filesystem::file_size(path);
  const long rss_before = max_rss_kb();
  for (auto _ : state) {
    fv::BinSet set = fv::read_bin_set(path);
    if (set.images.size() != kImages) state.SkipWithError("wrong image count");
    benchmark::DoNotOptimize(set.images.data());
  }
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes));
  state.counters["file_MB"] = static_cast<double>(bytes) / 1e6;
  state.counters["max_rss_growth_MB"] = static_cast<double>(max_rss_kb() - rss_before) / 1024.0;
}
BENCHMARK(BM_ReadBin)->Unit(benchmark::kMillisecond)->UseRealTime();

constexpr int kSmallPairs = 1000000;

// (bins, issame_list) with 2 * kSmallPairs 16-byte images, as the protocol-4 pickler writes them.
const std::string& many_values_pickle() {
  static const std::string bytes = [] {
    std::string p = "\x80\x04]\x94(";
    std::mt19937 rng(5);
    std::string image(16, '\0');
    for (int i = 0; i < 2 * kSmallPairs; ++i) {
      for (auto& c : image) c = static_cast<char>(rng());
      p += 'C';
      p += static_cast<char>(image.size());
      p += image;
      p += '\x94';
    }
    p += "e]\x94(";
    for (int i = 0; i < kSmallPairs; ++i) p += (i % 2 ? '\x89' : '\x88');
    p += "e\x86\x94.";
    return p;
  }();
  return bytes;
}

void BM_ParseManyValues(benchmark::State& state) {
  const std::string& bytes = many_values_pickle();
  for (auto _ : state) {
    fv::BinSet set = fv::parse_bin_set(bytes, "many.bin");
    if (set.pair_flags.size() != kSmallPairs) state.SkipWithError("wrong pair count");
    benchmark::DoNotOptimize(set.images.data());
  }
  state.SetItemsProcessed(state.iterations() * (3 * std::int64_t{kSmallPairs} + 3));
  state.SetBytesProcessed(static_cast<std::int64_t>(state.iterations() * bytes.size()));
}
BENCHMARK(BM_ParseManyValues)->Unit(benchmark::kMillisecond)->UseRealTime();

}  // namespace

int main(int argc, char** argv) {
  fv::bench::add_machine_context("1");
  benchmark::Initialize(&argc, argv);
  bin_file();  // written before timing
  many_values_pickle();
  benchmark::RunSpecifiedBenchmarks();
  std::error_code ec;
  std::filesystem::remove(bin_file(), ec);
  return 0;
}
