// The dataset-scale alignment driver: ordered worker pool, crash-safe outputs, resume and shards.
#include "align/align_run.h"

#include <fmt/format.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <exception>
#include <filesystem>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include "align/face_aligner.h"
#include "align/inputs.h"
#include "core/atomic_file.h"
#include "core/check.h"
#include "core/logging.h"
#include "core/progress.h"
#include "formats/recordio.h"
#include "core/runtime.h"

namespace fv {
namespace fs = std::filesystem;
namespace {

std::string json_string(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += c;
    } else if (static_cast<unsigned char>(c) < 0x20) {
      out += fmt::format("\\u{:04x}", static_cast<int>(c));
    } else {
      out += c;
    }
  }
  return out + "\"";
}

}  // namespace

AlignRunResult run_align(const AlignConfig& config, const std::string& config_ini, const std::string& config_hash) {
  const auto start = std::chrono::steady_clock::now();
  AlignRunResult result;
  const fs::path out_dir(config.output_dir);
  const fs::path images_dir = out_dir / "images";
  if (config.write_images && fs::is_directory(config.input)) {
    // Outputs are images/<path under the input folder>: when images/ is the input folder, or one holds the
    // other, aligned faces would replace photos or become inputs of the next (resumed) run.
    std::error_code ec1, ec2;
    const fs::path in = fs::weakly_canonical(config.input, ec1);
    const fs::path images = fs::weakly_canonical(images_dir, ec2);
    if (!ec1 && !ec2 && (in == images || path_is_within(in, images) || path_is_within(images, in))) {
      throw ConfigError(fmt::format(
          "output.dir: the aligned images would go to '{}', which {} the input folder '{}': choose an output.dir "
          "outside the input folder, whose images/ is not the input folder either",
          images_dir.string(), in == images ? "is" : path_is_within(in, images) ? "holds" : "lies inside",
          config.input));
    }
  }
  fs::create_directories(out_dir);
  // Temporaries of an earlier fv-align that was killed (kill -9, power loss) while writing; those of live
  // processes (other shards sharing this output.dir) are kept.
  const std::size_t stale = remove_stale_temporaries(out_dir, false) + remove_stale_temporaries(images_dir, true);
  if (stale > 0) log::info("removed {} stale temporary files left in '{}' by a killed run", stale, out_dir.string());
  const std::string suffix = config.shard_suffix();
  write_file_atomic(out_dir / ("align" + suffix + ".ini"), config_ini);

  InputSet inputs = collect_inputs(config);
  FV_CHECK(!inputs.items.empty(), DataError, "input.path: '{}' holds no images (extensions: {})", config.input,
           join_names(config.extensions, " "));
  const auto [begin, end] = shard_range(inputs.items.size(), config.shard_index(), config.shard_count());
  result.shard_inputs = end - begin;
  {
    std::string tsv;
    for (std::size_t i = 0; i < inputs.identities.size(); ++i) tsv += fmt::format("{}\t{}\n", i, inputs.identities[i]);
    write_file_atomic(out_dir / "identities.tsv", tsv);
  }
  const FaceTemplate target = template_from_config(config);
  if (config.write_recordio) {
    write_file_atomic(out_dir / "property", fmt::format("{},{},{}\n", inputs.identities.size(), target.height,
                                                        target.width));
  }

  // Resume: what the manifest already lists is done; torn tails of the manifest and RecordIO are cut.
  const fs::path manifest_path = config.manifest_path();
  ManifestState state = read_manifest(manifest_path);
  FV_CHECK(config.resume || state.rows.empty(), ConfigError,
           "'{}' already lists {} rows; set run.resume=true to continue it or remove it", manifest_path.string(),
           state.rows.size());
  std::uint64_t next_record = state.records;
  std::optional<RecordWriter> records;
  if (config.write_recordio) {
    if (fs::exists(config.record_path()) || fs::exists(config.index_path()) || next_record > 0) {
      truncate_record_files(config.record_path(), config.index_path(), next_record);
    }
    records.emplace(config.record_path(), config.index_path());
  }
  std::set<std::string> done;
  for (const auto& r : state.rows) done.insert(r.key());
  std::vector<const InputItem*> todo;
  std::size_t matched = 0;
  for (std::size_t i = begin; i < end; ++i) {
    if (done.count(inputs.items[i].key)) {
      ++matched;
    } else {
      todo.push_back(&inputs.items[i]);
    }
  }
  if (matched < done.size()) {
    log::warn("'{}' lists {} inputs that are not among this shard's inputs (another input.path, shard or "
              "dataset?); they are kept and counted in the summary",
              manifest_path.string(), done.size() - matched);
  }
  result.skipped = result.shard_inputs - todo.size();
  if (config.max_items > 0 && todo.size() > static_cast<std::size_t>(config.max_items)) todo.resize(config.max_items);
  log::info("fv-align: {} inputs, shard {} has {}, {} already in '{}', {} to process (config {})",
            inputs.items.size(), config.shard, result.shard_inputs, result.skipped, manifest_path.string(), todo.size(),
            config_hash);

  ManifestWriter manifest(manifest_path, state.valid_bytes,
                          config.shard_index() == 0 && !state.has_header && state.valid_bytes == 0);

  // Models: the detector only if some input needs detection, the 68-point model only if some face needs it.
  const bool need_detector =
      std::any_of(todo.begin(), todo.end(), [](const InputItem* i) { return !i->has_box && !i->has_landmarks; });
  const bool need_predictor = std::any_of(todo.begin(), todo.end(), [&](const InputItem* i) {
    return !i->has_landmarks && (i->has_box || config.detector != DetectorKind::kYunet);
  });
  std::unique_ptr<FaceDetector> prototype;
  if (need_detector && !todo.empty()) {
    prototype = FaceDetector::create(config.detector_options());
    log::info("detector: {}", prototype->describe());
  }
  std::shared_ptr<const LandmarkPredictor> predictor;
  if (need_predictor && !todo.empty()) {
    const std::string model = find_landmark_model(config.landmark_model);
    log::info("landmarks: dlib 68-point shape predictor '{}'", model);
    predictor = LandmarkPredictor::create_dlib(model);
  }
  log::info("template: {} {}x{}", enum_name(template_kind_names(), config.template_kind), target.width, target.height);

  const int threads = std::max(1, std::min<int>(resolve_threads(config.threads), static_cast<int>(todo.size())));
  std::optional<Progress> progress;
  if (config.progress) progress.emplace("align", todo.size(), "img");

  // Workers take inputs in order; results are committed strictly in input order by whichever worker
  // holds the lock, so the manifest and RecordIO do not depend on the thread count. A worker may run at
  // most kWindow inputs ahead of the commit point (bounded memory when one input is slow).
  const std::size_t window = 64 * static_cast<std::size_t>(threads);
  std::mutex mutex;
  std::condition_variable progressed;
  std::map<std::size_t, std::vector<AlignOutput>> ready;
  std::size_t committed = 0;
  std::atomic<std::size_t> next{0};
  std::atomic<std::int64_t> errors{0};
  std::atomic<bool> abort{false};
  std::exception_ptr failure;
  std::vector<ManifestRow> new_rows;

  auto commit_ready = [&]() {  // called with the lock held
    while (!ready.empty() && ready.begin()->first == committed) {
      std::vector<AlignOutput> faces = std::move(ready.begin()->second);
      ready.erase(ready.begin());
      std::vector<ManifestRow> rows;
      for (auto& f : faces) {
        if (records && !f.encoded.empty()) {
          IRHeader h;
          h.label = static_cast<float>(f.row.label);
          h.id = next_record;
          records->write(next_record, pack_image_record(h, f.encoded));
          f.row.record = static_cast<std::int64_t>(next_record++);
        }
        rows.push_back(f.row);
      }
      manifest.append(rows);
      new_rows.insert(new_rows.end(), rows.begin(), rows.end());
      ++committed;
      if (progress) progress->advance();
    }
  };

  auto worker = [&]() {
    try {
      std::unique_ptr<FaceDetector> detector = prototype ? prototype->clone() : nullptr;
      FaceAligner aligner(config, target, std::move(detector), predictor);
      for (;;) {
        if (abort.load() || stop_requested()) return;
        const std::size_t i = next.fetch_add(1);
        if (i >= todo.size()) return;
        {
          std::unique_lock<std::mutex> lock(mutex);
          progressed.wait(lock, [&] { return i < committed + window || abort.load(); });
          if (abort.load()) return;
        }
        const InputItem& item = *todo[i];
        std::vector<AlignOutput> faces;
        try {
          faces = aligner.process(item);
        } catch (const std::exception& e) {
          AlignOutput f;
          f.row.input = item.path;
          f.row.line = item.line;
          f.row.label = item.label;
          f.row.identity = item.identity;
          f.row.status = AlignStatus::kError;
          f.row.detail = e.what();
          faces = {f};
          log::warn("'{}': {}", item.path, e.what());
          if (++errors > config.max_errors) {
            throw DataError(fmt::format("more than run.max_errors={} inputs failed; last: '{}': {}", config.max_errors,
                                        item.path, e.what()));
          }
        }
        // Aligned images are written (atomically) before their manifest rows: a row never names a
        // missing file, and a file without a row is simply rewritten on resume.
        if (config.write_images) {
          for (auto& f : faces) {
            if (f.encoded.empty()) continue;
            const std::string rel = fmt::format("images/{}{}{}", item.relative,
                                                f.row.faces > 1 ? fmt::format("_{}", f.row.face) : "",
                                                image_extension(config.format));
            // Last line of defence (item.relative is confined by construction): nothing is written outside
            // images/ or over the input itself.
            std::error_code ec;
            std::string refused;
            if (!path_is_within(out_dir / rel, images_dir)) {
              refused = fmt::format("output path '{}' leaves output.dir/images", rel);
            } else if (fs::equivalent(out_dir / rel, item.path, ec)) {
              refused = fmt::format("output path '{}' is the input file itself", rel);
            }
            if (!refused.empty()) {
              log::warn("'{}': {}; not written", item.path, refused);
              f.row.status = AlignStatus::kError;
              f.row.detail = refused + "; not written";
              f.encoded.clear();
              continue;
            }
            write_file_atomic(out_dir / rel, f.encoded);
            f.row.output = rel;
          }
        }
        std::lock_guard<std::mutex> lock(mutex);
        ready.emplace(i, std::move(faces));
        commit_ready();
        progressed.notify_all();
      }
    } catch (...) {
      std::lock_guard<std::mutex> lock(mutex);
      if (!failure) failure = std::current_exception();
      abort = true;
      progressed.notify_all();
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (progress) progress->finish();
  if (failure) std::rethrow_exception(failure);
  // Results that finished after a gap (an input left unfinished by a stop) are dropped: redone on resume.
  result.processed = committed;
  result.interrupted = committed < todo.size();
  if (records) records->close();

  std::vector<ManifestRow> all = std::move(state.rows);
  all.insert(all.end(), new_rows.begin(), new_rows.end());
  result.counts = count_statuses(all);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();

  std::string counts_json;
  std::string counts_log;
  for (const auto& [name, n] : result.counts.rows) {
    counts_json += fmt::format("{}    {}: {}", counts_json.empty() ? "" : ",\n", json_string(name), n);
    if (n > 0) counts_log += fmt::format(" {}={}", name, n);
  }
  const std::string summary = fmt::format(
      "{{\n  \"config_hash\": {},\n  \"shard\": {},\n  \"inputs_in_shard\": {},\n  \"inputs_in_manifest\": {},\n"
      "  \"rows\": {},\n  \"processed_this_run\": {},\n  \"seconds_this_run\": {:.3f},\n  \"threads\": {},\n"
      "  \"complete\": {},\n  \"records\": {},\n  \"status_counts\": {{\n{}\n  }}\n}}\n",
      json_string(config_hash), json_string(config.shard), result.shard_inputs, result.counts.inputs, all.size(),
      result.processed, result.seconds, threads, result.counts.inputs == result.shard_inputs ? "true" : "false",
      next_record, counts_json);
  write_file_atomic(out_dir / ("summary" + suffix + ".json"), summary);
  log::info("fv-align summary: {} of {} inputs in the manifest, {} rows:{}; this run {} inputs in {:.1f} s ({:.1f} img/s)",
            result.counts.inputs, result.shard_inputs, all.size(), counts_log, result.processed, result.seconds,
            result.seconds > 0 ? result.processed / result.seconds : 0.0);
  if (result.interrupted) log::warn("stopped before the end: re-run the same command to resume");
  return result;
}

}  // namespace fv
