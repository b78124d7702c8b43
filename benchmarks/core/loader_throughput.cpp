// Loaded images/s of the training input pipeline (BatchLoader: read + JPEG decode + preprocess + flip, on
// worker threads) over a RecordIO file and over an image folder, for 1..N loader threads: can the data
// pipeline keep a GPU fed? (An H100 trains iResNet-50 at ~2,300-2,900 img/s; see shared/MACHINE-NOTES.md.)
//
//   fv_loader_bench [--images 2000] [--size 112] [--quality 90] [--batch 128] [--threads_max 0 (all cores)]
//                   [--epochs 2] [--source both|recordio|folder] [--workdir DIR (default: a temporary folder)]
//                   [--write_only]
// The inputs are written first (one .rec/.idx pair with MXNet's layout, and a folder of 100 identities), then
// read once untimed (page cache), then timed for `epochs` epochs per thread count. Fixed seeds. --write_only
// --workdir DIR writes the inputs of --source and stops (scripts/gpu-check.sh trains fv-train on that RecordIO).
#include <fmt/format.h>
#include <stdlib.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <memory>
#include <string>
#include <vector>

#include "common/bench_images.h"
#include "common/machine_info.h"
#include "core/check.h"
#include "core/cli.h"
#include "core/options.h"
#include "formats/recordio.h"
#include "core/runtime.h"
#include "dataset/batch_loader.h"
#include "dataset/recordio_source.h"
#include "dataset/sample_source.h"

namespace {

namespace fs = std::filesystem;
using Clock = std::chrono::steady_clock;

enum class SourceKind { kBoth, kRecordIO, kFolder };

struct LoaderBenchConfig {
  int images = 2000;
  int size = 112;
  int quality = 90;
  int batch = 128;
  int threads_max = 0;
  int epochs = 2;
  SourceKind source = SourceKind::kBoth;
  std::string workdir;
  bool write_only = false;

  void bind(fv::OptionSet& o) {
    o.add("images", &images, "number of JPEG records to write");
    o.add("size", &size, "image side in pixels (the records are size x size; the loader outputs 112x112)");
    o.add("quality", &quality, "JPEG quality");
    o.add("batch", &batch, "batch size");
    o.add("threads_max", &threads_max, "largest loader thread count (0: every available core)");
    o.add("epochs", &epochs, "timed epochs per thread count");
    o.add_enum("source", &source,
               fv::EnumNames<SourceKind>{{"both", SourceKind::kBoth}, {"recordio", SourceKind::kRecordIO},
                                         {"folder", SourceKind::kFolder}},
               "which input to read");
    o.add("workdir", &workdir, "folder for the generated inputs (default: a temporary folder, removed at exit)");
    o.add("write_only", &write_only, "write the inputs into --workdir and stop (no timing)");
  }
  void validate() const {
    FV_CHECK(images > 0, fv::ConfigError, "config key 'images' must be positive, got {}", images);
    FV_CHECK(size >= 16, fv::ConfigError, "config key 'size' must be at least 16, got {}", size);
    FV_CHECK(quality >= 1 && quality <= 100, fv::ConfigError, "config key 'quality' must be in [1, 100], got {}", quality);
    FV_CHECK(batch > 0, fv::ConfigError, "config key 'batch' must be positive, got {}", batch);
    FV_CHECK(threads_max >= 0, fv::ConfigError, "config key 'threads_max' must be >= 0, got {}", threads_max);
    FV_CHECK(epochs > 0, fv::ConfigError, "config key 'epochs' must be positive, got {}", epochs);
    FV_CHECK(!write_only || !workdir.empty(), fv::ConfigError, "config key 'write_only' needs 'workdir'");
  }
};

// Removes a temporary folder at scope exit.
struct TempFolder {
  fs::path path;
  bool owned = false;
  ~TempFolder() {
    std::error_code ec;
    if (owned) fs::remove_all(path, ec);
  }
};

// Writes `n` JPEGs as train.rec/train.idx (label = i % 100) and/or as folder/<label>/<i>.jpg (per --source);
// returns total bytes.
std::size_t write_inputs(const LoaderBenchConfig& c, const fs::path& dir) {
  std::vector<std::string> variants;
  for (int v = 0; v < 16; ++v) variants.push_back(fv::bench::encode_jpeg(fv::bench::bench_image(c.size, v), c.quality));
  std::size_t bytes = 0;
  std::unique_ptr<fv::RecordWriter> writer;
  if (c.source != SourceKind::kFolder) writer = std::make_unique<fv::RecordWriter>(dir / "train.rec", dir / "train.idx");
  for (int i = 0; i < c.images; ++i) {
    const std::string& jpg = variants[static_cast<std::size_t>(i) % variants.size()];
    if (writer) {
      fv::IRHeader h;
      h.label = static_cast<float>(i % 100);
      h.id = static_cast<std::uint64_t>(i);
      writer->write(static_cast<std::uint64_t>(i), fv::pack_image_record(h, jpg));
    }
    if (c.source != SourceKind::kRecordIO) {
      const fs::path folder = dir / "folder" / fmt::format("id{:03d}", i % 100);
      fs::create_directories(folder);
      std::ofstream(folder / fmt::format("{:06d}.jpg", i), std::ios::binary).write(jpg.data(), static_cast<std::streamsize>(jpg.size()));
    }
    bytes += jpg.size();
  }
  if (writer) writer->close();
  return bytes;
}

// Images per second of one loader configuration over `epochs` epochs (after one untimed epoch).
double measure(const fv::SampleSource& source, const LoaderBenchConfig& c, int threads) {
  fv::LoaderOptions o;
  o.batch_size = c.batch;
  o.shuffle = true;
  o.seed = 1;
  o.threads = threads;
  o.prefetch = 4;
  o.drop_last = false;
  fv::AugmentOptions augment;
  augment.flip = true;  // as training does
  fv::BatchLoader loader(source, fv::PreprocessOptions{}, augment, o);
  auto run_epoch = [&](std::int64_t epoch) {
    std::int64_t n = 0;
    loader.start_epoch(epoch);
    while (auto b = loader.next()) n += static_cast<std::int64_t>(b->size());
    return n;
  };
  run_epoch(0);
  const auto t0 = Clock::now();
  std::int64_t n = 0;
  for (int e = 1; e <= c.epochs; ++e) n += run_epoch(e);
  return static_cast<double>(n) / std::chrono::duration<double>(Clock::now() - t0).count();
}

}  // namespace

int main(int argc, char** argv) {
  return fv::run_main("fv_loader_bench", [&] {
    fv::OptionSet o("fv_loader_bench", "BatchLoader throughput (images/s) over RecordIO and an image folder");
    LoaderBenchConfig c;
    c.bind(o);
    if (!o.parse(argc, argv)) return 0;
    c.validate();
    const int threads_max = fv::resolve_threads(c.threads_max);
    fv::bench::print_machine_line(threads_max > 1 ? "1.." + std::to_string(threads_max) : "1");

    TempFolder dir;
    if (c.workdir.empty()) {
      std::string tmpl = (fs::temp_directory_path() / "fv-loader-bench-XXXXXX").string();
      FV_CHECK(mkdtemp(tmpl.data()) != nullptr, fv::IoError, "cannot create a temporary folder from '{}'", tmpl);
      dir.path = tmpl;
      dir.owned = true;
    } else {
      dir.path = c.workdir;
      fs::create_directories(dir.path);
    }
    const std::size_t bytes = write_inputs(c, dir.path);
    fmt::print("inputs: {} JPEGs of {}x{} (quality {}, {}, mean {:.1f} KB) in {}; batch {}, output 112x112x3 float, "
               "flip augmentation\n",
               c.images, c.size, c.size, c.quality, fv::bench::bench_image_origin(), bytes / 1024.0 / c.images,
               dir.path.string(), c.batch);
    if (c.write_only) return 0;

    std::vector<std::pair<std::string, std::unique_ptr<fv::SampleSource>>> sources;
    if (c.source != SourceKind::kFolder) sources.emplace_back("recordio", fv::open_recordio(dir.path / "train.rec"));
    if (c.source != SourceKind::kRecordIO) sources.emplace_back("folder", fv::open_image_folder(dir.path / "folder"));
    for (const auto& [name, source] : sources) {
      double single = 0;
      for (int t = 1; t <= threads_max; ++t) {
        const double rate = measure(*source, c, t);
        if (t == 1) single = rate;
        fmt::print("{} loader threads {}: {:.0f} img/s total, {:.0f} img/s per thread, speed-up {:.2f}x\n", name, t,
                   rate, rate / t, rate / single);
        fv::bench::print_result("load", "fv_loader_bench", fmt::format("{} {}px batch {}", name, c.size, c.batch), rate,
                                "img/s", t);
      }
    }
    return 0;
  });
}
