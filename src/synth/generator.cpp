// Parallel generation: identities first, then one task per image (any thread may render any image, the
// per-image random stream depends only on (seed, identity, image)); files written atomically.
#include "synth/generator.h"

#include <fmt/format.h>

#include <opencv2/imgcodecs.hpp>

#include <atomic>
#include <chrono>
#include <exception>
#include <filesystem>
#include <mutex>
#include <thread>
#include <vector>

#include "core/atomic_file.h"
#include "core/error.h"
#include "core/logging.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "core/sha256.h"
#include "synth/face_model.h"
#include "synth/face_renderer.h"
#include "synth/pairs.h"

namespace fv::synth {
namespace {

constexpr int kFormatVersion = 1;

std::string csv_row(const std::string& rel_path, int identity, const RenderedFace& f) {
  std::string row = fmt::format("{},{},{},{:.3f},{:.3f},{:.3f},{:.3f}", rel_path, identity_name(identity), identity,
                                f.box[0], f.box[1], f.box[2], f.box[3]);
  for (const auto& p : f.five) row += fmt::format(",{:.3f},{:.3f}", p.x, p.y);
  for (const auto& p : f.points) row += fmt::format(",{:.3f},{:.3f}", p.x, p.y);
  row += '\n';
  return row;
}

}  // namespace

void ensure_directory(const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) throw IoError(fmt::format("cannot create the output folder '{}': {}", dir, ec.message()));
}

std::string ground_truth_header() {
  std::string h = "path,identity,label,box_x,box_y,box_w,box_h";
  for (int i = 0; i < 5; ++i) h += fmt::format(",l5_{0}_x,l5_{0}_y", i);
  for (int i = 0; i < 68; ++i) h += fmt::format(",p{0}_x,p{0}_y", i);
  return h;
}

GenerateResult generate(const SynthConfig& cfg, const std::string& config_hash) {
  cfg.validate();
  const int per_fold = resolve_pairs_per_fold(cfg.pairs_per_fold, cfg.identities, cfg.images_per_identity);
  const std::filesystem::path root(cfg.output);
  const int n = cfg.identities, k = cfg.images_per_identity, total = n * k;
  const int threads = std::max(1, std::min(resolve_threads(cfg.threads), total));
  log::info("fv-synth: {} identities x {} images, {}x{}, seed {}, {} threads, config {}", n, k, cfg.width,
            cfg.height, cfg.seed, threads, config_hash);

  if (std::filesystem::exists(root / "images") && !std::filesystem::is_empty(root / "images"))
    log::warn("fv-synth: {} already holds images; files of this run replace theirs, others stay", (root / "images").string());
  std::vector<Identity> ids;
  ids.reserve(static_cast<std::size_t>(n));
  for (int i = 0; i < n; ++i) ids.push_back(make_identity(cfg, i));
  for (int i = 0; i < n; ++i) ensure_directory((root / "images" / identity_name(i)).string());

  std::vector<std::string> rows(static_cast<std::size_t>(total));
  std::atomic<int> next{0};
  std::atomic<bool> failed{false};
  std::exception_ptr first_error;
  std::mutex error_mutex;
  Progress progress("synth", static_cast<std::uint64_t>(total), "img");
  const auto start = std::chrono::steady_clock::now();
  auto worker = [&] {
    for (;;) {
      if (failed.load() || stop_requested()) return;
      const int idx = next.fetch_add(1);
      if (idx >= total) return;
      try {
        const int identity = idx / k, image = idx % k;
        const Identity& id = ids[static_cast<std::size_t>(identity)];
        const Variation v = make_variation(cfg, id, image);
        const RenderedFace face = render_face(cfg, id, v);
        std::vector<std::uint8_t> jpeg;
        cv::imencode(".jpg", face.image, jpeg, {cv::IMWRITE_JPEG_QUALITY, v.jpeg_quality});
        const std::string name = identity_name(identity);
        const std::string rel = fmt::format("{}/{}_{:04d}.jpg", name, name, image + 1);
        write_file_atomic(root / "images" / rel,
                          std::string_view(reinterpret_cast<const char*>(jpeg.data()), jpeg.size()));
        rows[static_cast<std::size_t>(idx)] = csv_row(rel, identity, face);
        progress.advance();
      } catch (...) {
        std::lock_guard<std::mutex> lock(error_mutex);
        if (!first_error) first_error = std::current_exception();
        failed = true;
        return;
      }
    }
  };
  std::vector<std::thread> pool;
  for (int t = 1; t < threads; ++t) pool.emplace_back(worker);
  worker();
  for (auto& t : pool) t.join();
  progress.finish();
  GenerateResult result;
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  if (first_error) std::rethrow_exception(first_error);
  result.images = static_cast<int>(progress.count());
  if (stop_requested()) {
    result.interrupted = true;
    log::warn("fv-synth: interrupted after {} of {} images; ground truth and pairs not written", result.images, total);
    return result;
  }

  std::string csv = ground_truth_header() + "\n";
  for (const auto& r : rows) csv += r;
  write_file_atomic(root / "ground_truth.csv", csv);
  write_file_atomic(root / "pairs.txt",
                    format_pairs(make_pairs(n, k, per_fold, cfg.seed), per_fold));
  write_file_atomic(root / "manifest.json",
                    fmt::format("{{\n  \"format\": \"fv-synth\",\n  \"version\": {},\n  \"config_hash\": \"{}\",\n"
                                "  \"identities\": {},\n  \"images_per_identity\": {},\n  \"width\": {},\n"
                                "  \"height\": {},\n  \"seed\": {},\n  \"pairs_per_fold\": {},\n  \"folds\": {},\n"
                                "  \"ground_truth_sha256\": \"{}\"\n}}\n",
                                kFormatVersion, config_hash, n, k, cfg.width, cfg.height, cfg.seed, per_fold, kFolds,
                                sha256_hex(csv)));
  result.pairs_per_fold = per_fold;
  log::info("fv-synth: wrote {} images in {:.1f} s ({:.1f} img/s), {} pairs per fold", result.images,
            result.seconds, result.images / std::max(1e-9, result.seconds), per_fold);
  return result;
}

}  // namespace fv::synth
