// Tests of the benchmarks' shared code: list options, the machine line, RESULT lines, the JPEG encoder, and the
// summary scripts that turn benchmark outputs into out/benchmarks/summary.md and gpu-check's gpu-summary.md.
#include <gtest/gtest.h>
#include <sched.h>

#include <cmath>
#include <cstdlib>
#include <regex>
#include <string>

#include "common/bench_images.h"
#include "common/list_option.h"
#include "common/machine_info.h"
#include "core/error.h"
#include "core/image_codec.h"
#include "support/command.h"
#include "support/temp_dir.h"

namespace {

TEST(ListOption, SplitsAtCommasAndSpaces) {
  EXPECT_EQ(fv::bench::split_list({"iresnet50,mobilefacenet", "iresnet18"}, "backbone"),
            (std::vector<std::string>{"iresnet50", "mobilefacenet", "iresnet18"}));
  EXPECT_EQ(fv::bench::split_int_list({"32,64", "128", ",256,"}, "batch"), (std::vector<int>{32, 64, 128, 256}));
}

TEST(ListOption, RejectsBadValuesNamingTheKey) {
  for (const std::vector<std::string>& bad : {std::vector<std::string>{"0"}, {"32x"}, {"-4"}, {"abc"}, {","}}) {
    try {
      fv::bench::split_int_list(bad, "batch");
      FAIL() << "accepted " << bad[0];
    } catch (const fv::ConfigError& e) {
      EXPECT_NE(std::string(e.what()).find("'batch'"), std::string::npos) << e.what();
    }
  }
}

TEST(MachineInfo, ReportsTheAffinityMaskAndTheDate) {
  const auto m = fv::bench::probe_machine();
  cpu_set_t set;
  CPU_ZERO(&set);
  ASSERT_EQ(sched_getaffinity(0, sizeof(set), &set), 0);
  EXPECT_EQ(m.cores_available, CPU_COUNT(&set));
  EXPECT_FALSE(m.cpu_model.empty());
  EXPECT_TRUE(std::regex_match(m.date_utc, std::regex(R"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ)"))) << m.date_utc;
  EXPECT_GE(m.load_1min, 0.0);  // Linux always has /proc/loadavg
}

TEST(MachineInfo, LineNamesThreadsAndDevice) {
  const std::string line = fv::bench::machine_line("1..4", "LibTorch 9.9 CUDA, Some GPU");
  const auto m = fv::bench::probe_machine();
  EXPECT_EQ(line.rfind("machine: " + m.cpu_model + ", " + std::to_string(m.cores_available) + " cores available | ", 0), 0u)
      << line;
  EXPECT_NE(line.find(" | threads: 1..4 | device: LibTorch 9.9 CUDA, Some GPU | load: "), std::string::npos) << line;
}

TEST(MachineInfo, ResultLineIsTabSeparated) {
  ::testing::internal::CaptureStdout();
  fv::bench::print_result("train", "fv_train_benchmark", "iresnet50 batch 128", 1234.5, "img/s", 2);
  EXPECT_EQ(::testing::internal::GetCapturedStdout(), "RESULT\ttrain\tfv_train_benchmark\tiresnet50 batch 128\t1234.5\timg/s\t2\n");
}

TEST(BenchImages, JpegRoundTripIsCloseToTheSource) {
  for (int size : {16, 112, 250}) {
    const fv::RgbImage src = fv::bench::bench_image(size, 3);
    ASSERT_EQ(src.width, size);
    ASSERT_EQ(src.pixels.size(), static_cast<std::size_t>(size * size * 3));
    const std::string jpg = fv::bench::encode_jpeg(src, 95);
    const fv::RgbImage back = fv::decode_image(reinterpret_cast<const std::uint8_t*>(jpg.data()), jpg.size(), "rt.jpg");
    ASSERT_EQ(back.width, size);
    ASSERT_EQ(back.height, size);
    double err = 0;
    for (std::size_t i = 0; i < src.pixels.size(); ++i) err += std::abs(int(src.pixels[i]) - int(back.pixels[i]));
    EXPECT_LT(err / src.pixels.size(), 6.0) << "size " << size;  // quality 95: a few grey levels on average
  }
}

TEST(BenchImages, VariantsDifferAndSizeMustBePositive) {
  EXPECT_NE(fv::bench::bench_image(32, 0).pixels, fv::bench::bench_image(32, 1).pixels);
  EXPECT_THROW(fv::bench::bench_image(0), fv::ConfigError);
}

// scripts/bench_summary.py on a RESULT text file and a google-benchmark JSON file.
TEST(BenchSummary, TablesResultLinesAndGoogleBenchmarkJson) {
  if (std::system("python3 -c 'import json' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 not installed";
  fv::testing::TempDir dir;
  fv::testing::write_text(dir / "train.txt",
                          "== train: fv_train_benchmark\n"
                          "# machine: AMD EPYC, 2 cores available | threads: 2 | device: LibTorch 1.13.0 CPU | load: 0.50 | "
                          "date: 2026-11-23T14:00:00Z\n"
                          "mobilefacenet batch 32 cpu: 15.6 img/s\n"
                          "RESULT\ttrain\tfv_train_benchmark\tmobilefacenet batch 32 cpu\t15.63\timg/s\t2\n");
  fv::testing::write_text(
      dir / "eval.fv_eval_metrics_benchmark.json",
      R"({"context": {"fv_machine": "machine: AMD EPYC, 2 cores available | threads: 1 | device: CPU | load: 1.00 | date: 2026-11-23T15:00:00Z", "fv_threads": "1"},
          "benchmarks": [
            {"name": "BM_KFoldLfw/0", "run_type": "iteration", "items_per_second": 1250000.0, "pairs/s": 1250000.0},
            {"name": "decode_jpeg/112/real_time/threads:2", "run_type": "iteration", "threads": 2, "img/s": 26813.2},
            {"name": "BM_KFoldLfw/0_mean", "run_type": "aggregate", "pairs/s": 1.0}]})");
  const auto r = fv::testing::run_command("python3 " + (fv::testing::source_dir() / "scripts/bench_summary.py").string() +
                                          " " + dir.path().string());
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("Measured by scripts/benchmarks.sh on 2026-11-23."), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| train | `fv_train_benchmark` | mobilefacenet batch 32 cpu | 15.6 | img/s | AMD EPYC, 2 cores; "
                          "LibTorch 1.13.0 CPU; load 0.50 | 2 |"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("| eval | `fv_eval_metrics_benchmark` | BM_KFoldLfw/0 | 1.25 M | pairs/s | AMD EPYC, 2 cores; CPU; "
                          "load 1.00 | 1 |"),
            std::string::npos)
      << r.output;
  EXPECT_NE(r.output.find("| decode_jpeg/112 threads 2 | 26,813 | img/s |"), std::string::npos) << r.output;
  EXPECT_EQ(r.output.find("_mean"), std::string::npos) << "aggregates must be left out:\n" << r.output;
  // Stage order: train before eval, whatever the file names.
  EXPECT_LT(r.output.find("| train |"), r.output.find("| eval |"));
}

// scripts/gpu_summary.py (scripts/gpu-check.sh's summary) on the output of a CUDA run: figures beside their
// anchors as ratios, each case's peak memory paired with its rate, the stage table; and fv-train's rate from
// train.jsonl without its first two intervals.
TEST(GpuSummary, RatiosToTheAnchorsPeakMemoryAndStages) {
  if (std::system("python3 -c 'import json' >/dev/null 2>&1") != 0) GTEST_SKIP() << "python3 not installed";
  fv::testing::TempDir dir;
  fv::testing::write_text(dir / "log",
                          "# machine: Intel Xeon, 16 cores available | threads: 16 | device: LibTorch 2.11.0 CUDA 13.0, "
                          "NVIDIA H200 (sm 9.0) | load: 0.10 | date: 2026-12-03T12:00:00Z\n"
                          "RESULT\ttrain\tfv_train_benchmark\tiresnet50 batch 128 peak memory\t40.5\tMB/img\t0\n"
                          "RESULT\ttrain\tfv_train_benchmark\tiresnet50 batch 128 cuda fp16\t1652.4\timg/s\t0\n"
                          "RESULT\ttrain\tfv_train_benchmark\tiresnet50 batch 256 cuda bf16 channels-last\t3000\timg/s\t0\n"
                          "RESULT\tembed\tfv_embed_benchmark\tmobilefacenet batch 512 cuda fp16 channels_last\t12453\timg/s\t0\n");
  fv::testing::write_text(dir / "stages", "build\tpassed\t201\t270\ntrain\tstopped at its limit\t75\t75\n");
  const std::string script = (fv::testing::source_dir() / "scripts/gpu_summary.py").string();
  const auto r = fv::testing::run_command("python3 " + script + " --log " + (dir / "log").string() + " --stages " +
                                          (dir / "stages").string() + " --budget 480");
  ASSERT_EQ(r.code, 0) << r.output;
  EXPECT_NE(r.output.find("NVIDIA H200"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| build | passed | 201 | 270 |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| all | | 276 | 480 |"), std::string::npos) << r.output;
  // 1652.4 / 1836 = 0.90, with the 40.5 MB/img printed just before it; the bf16 case has no memory line.
  EXPECT_NE(r.output.find("| fv_train_benchmark | iresnet50 batch 128 cuda fp16 | 1,652.4 | 1,836 | 0.90 |"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| 40.50 |"), std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| iresnet50 batch 256 cuda bf16 channels-last | 3,000.0 | 2,867 | 1.05 | r50 bf16 + channels-last bs256 |  |"),
            std::string::npos) << r.output;
  EXPECT_NE(r.output.find("| 12,453.0 | 24,906 | 0.50 |"), std::string::npos) << r.output;

  fv::testing::write_text(dir / "train.jsonl",
                          "{\"step\": 25, \"images_per_second\": 100}\n{\"step\": 50, \"images_per_second\": 900}\n"
                          "{\"step\": 75, \"images_per_second\": 1500}\n{\"step\": 100, \"images_per_second\": 1700}\n"
                          "{\"summary\": true, \"images_per_second\": 1000}\n");
  const auto j = fv::testing::run_command("python3 " + script + " --jsonl-rate " + (dir / "train.jsonl").string() +
                                          " --setting 'iresnet50 batch 128 cuda fp16 RecordIO'");
  ASSERT_EQ(j.code, 0) << j.output;
  EXPECT_NE(j.output.find("RESULT\ttrain\tfv-train\tiresnet50 batch 128 cuda fp16 RecordIO\t1600.000\timg/s\t0"),
            std::string::npos) << j.output;
}

}  // namespace
