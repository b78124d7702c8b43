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

// Outputs are images/<path under the input folder>: when images/ is the input folder, or one holds the other,
// aligned faces would replace photos or become inputs of the next (resumed) run.
void check_output_dir(const AlignConfig& config, const fs::path& images_dir) {
  if (!config.write_images || !fs::is_directory(config.input)) return;
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

// The inputs of this shard that the manifest does not list yet, in input order (run.max_items applied), and how
// many it lists already.
struct Work {
  std::vector<const InputItem*> todo;
  std::size_t skipped = 0;
};
Work remaining_work(const AlignConfig& config, const InputSet& inputs, std::size_t begin, std::size_t end,
                    const ManifestState& state) {
  std::set<std::string> done;
  for (const auto& r : state.rows) done.insert(r.key());
  Work w;
  std::size_t matched = 0;
  for (std::size_t i = begin; i < end; ++i) {
    if (done.count(inputs.items[i].key)) {
      ++matched;
    } else {
      w.todo.push_back(&inputs.items[i]);
    }
  }
  if (matched < done.size()) {
    log::warn("'{}' lists {} inputs that are not among this shard's inputs (another input.path, shard or "
              "dataset?); they are kept and counted in the summary",
              config.manifest_path(), done.size() - matched);
  }
  w.skipped = (end - begin) - w.todo.size();
  if (config.max_items > 0 && w.todo.size() > static_cast<std::size_t>(config.max_items)) w.todo.resize(config.max_items);
  return w;
}

// The detector only if some input needs detection, the 68-point model only if some face needs it.
struct Models {
  std::unique_ptr<FaceDetector> detector;  // the prototype each worker clones
  std::shared_ptr<const LandmarkPredictor> predictor;
};
Models load_models(const AlignConfig& config, const std::vector<const InputItem*>& todo) {
  Models m;
  if (todo.empty()) return m;
  const bool need_detector =
      std::any_of(todo.begin(), todo.end(), [](const InputItem* i) { return !i->has_box && !i->has_landmarks; });
  const bool need_predictor = std::any_of(todo.begin(), todo.end(), [&](const InputItem* i) {
    return !i->has_landmarks && (i->has_box || config.detector != DetectorKind::kYunet);
  });
  if (need_detector) {
    m.detector = FaceDetector::create(config.detector_options());
    log::info("detector: {}", m.detector->describe());
  }
  if (need_predictor) {
    const std::string model = find_landmark_model(config.landmark_model);
    log::info("landmarks: dlib 68-point shape predictor '{}'", model);
    m.predictor = LandmarkPredictor::create_dlib(model);
  }
  return m;
}

// Results committed strictly in input order, whichever worker finishes them: each input's RecordIO records and
// manifest rows go out only after those of every input before it, so the files do not depend on the thread count.
// A worker may run at most `window` inputs ahead of the commit point (bounded memory when one input is slow).
class OrderedCommit {
 public:
  OrderedCommit(ManifestWriter& manifest, RecordWriter* records, std::uint64_t next_record, std::size_t window,
                Progress* progress)
      : manifest_(manifest), records_(records), next_record_(next_record), window_(window), progress_(progress) {}

  // Blocks until input `i` is within the window; false when the run is aborting.
  bool wait_for_turn(std::size_t i) {
    std::unique_lock<std::mutex> lock(mutex_);
    progressed_.wait(lock, [&] { return i < committed_ + window_ || abort_; });
    return !abort_;
  }
  // Hands over input i's outputs and commits every input that is now next in order.
  void done(std::size_t i, std::vector<AlignOutput> faces) {
    std::lock_guard<std::mutex> lock(mutex_);
    ready_.emplace(i, std::move(faces));
    while (!ready_.empty() && ready_.begin()->first == committed_) {
      commit(std::move(ready_.begin()->second));
      ready_.erase(ready_.begin());
      ++committed_;
      if (progress_) progress_->advance();
    }
    progressed_.notify_all();
  }
  // Records the first failure and stops every worker.
  void fail(std::exception_ptr e) {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!failure_) failure_ = e;
    abort_ = true;
    progressed_.notify_all();
  }
  bool aborting() const { return abort_.load(); }
  std::exception_ptr failure() const { return failure_; }
  std::size_t committed() const { return committed_; }
  std::uint64_t next_record() const { return next_record_; }
  std::vector<ManifestRow>& rows() { return rows_; }

 private:
  void commit(std::vector<AlignOutput> faces) {  // with the lock held
    std::vector<ManifestRow> rows;
    for (auto& f : faces) {
      if (records_ && !f.encoded.empty()) {
        IRHeader h;
        h.label = static_cast<float>(f.row.label);
        h.id = next_record_;
        records_->write(next_record_, pack_image_record(h, f.encoded));
        f.row.record = static_cast<std::int64_t>(next_record_++);
      }
      rows.push_back(f.row);
    }
    manifest_.append(rows);
    rows_.insert(rows_.end(), rows.begin(), rows.end());
  }

  ManifestWriter& manifest_;
  RecordWriter* records_;
  std::uint64_t next_record_;
  std::size_t window_;
  Progress* progress_;
  std::mutex mutex_;
  std::condition_variable progressed_;
  std::map<std::size_t, std::vector<AlignOutput>> ready_;
  std::size_t committed_ = 0;
  std::atomic<bool> abort_{false};
  std::exception_ptr failure_;
  std::vector<ManifestRow> rows_;
};

// One input aligned; an exception becomes its error row (DataError once more than run.max_errors inputs failed).
std::vector<AlignOutput> align_input(FaceAligner& aligner, const InputItem& item, const AlignConfig& config,
                                     std::atomic<std::int64_t>& errors) {
  try {
    return aligner.process(item);
  } catch (const std::exception& e) {
    AlignOutput f;
    f.row.input = item.path;
    f.row.line = item.line;
    f.row.label = item.label;
    f.row.identity = item.identity;
    f.row.status = AlignStatus::kError;
    f.row.detail = e.what();
    log::warn("'{}': {}", item.path, e.what());
    if (++errors > config.max_errors) {
      throw DataError(fmt::format("more than run.max_errors={} inputs failed; last: '{}': {}", config.max_errors,
                                  item.path, e.what()));
    }
    return {f};
  }
}

// Aligned images are written (atomically) before their manifest rows: a row never names a missing file, and a
// file without a row is simply rewritten on resume.
void write_images(std::vector<AlignOutput>& faces, const InputItem& item, const AlignConfig& config,
                  const fs::path& out_dir, const fs::path& images_dir) {
  for (auto& f : faces) {
    if (f.encoded.empty()) continue;
    const std::string rel = fmt::format("images/{}{}{}", item.relative,
                                        f.row.faces > 1 ? fmt::format("_{}", f.row.face) : "",
                                        image_extension(config.format));
    // Last line of defence (item.relative is confined by construction): nothing is written outside images/ or
    // over the input itself.
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

// summary<suffix>.json and the closing log line.
void write_summary(const AlignConfig& config, const std::string& config_hash, const AlignRunResult& result,
                   std::size_t rows, int threads, std::uint64_t records) {
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
      json_string(config_hash), json_string(config.shard), result.shard_inputs, result.counts.inputs, rows,
      result.processed, result.seconds, threads, result.counts.inputs == result.shard_inputs ? "true" : "false",
      records, counts_json);
  write_file_atomic(fs::path(config.output_dir) / ("summary" + config.shard_suffix() + ".json"), summary);
  log::info("fv-align summary: {} of {} inputs in the manifest, {} rows:{}; this run {} inputs in {:.1f} s ({:.1f} img/s)",
            result.counts.inputs, result.shard_inputs, rows, counts_log, result.processed, result.seconds,
            result.seconds > 0 ? result.processed / result.seconds : 0.0);
}

}  // namespace

AlignRunResult run_align(const AlignConfig& config, const std::string& config_ini, const std::string& config_hash) {
  const auto start = std::chrono::steady_clock::now();
  AlignRunResult result;
  const fs::path out_dir(config.output_dir);
  const fs::path images_dir = out_dir / "images";
  check_output_dir(config, images_dir);
  fs::create_directories(out_dir);
  // Temporaries of an earlier fv-align that was killed (kill -9, power loss) while writing; those of live
  // processes (other shards sharing this output.dir) are kept.
  const std::size_t stale = remove_stale_temporaries(out_dir, false) + remove_stale_temporaries(images_dir, true);
  if (stale > 0) log::info("removed {} stale temporary files left in '{}' by a killed run", stale, out_dir.string());
  write_file_atomic(out_dir / ("align" + config.shard_suffix() + ".ini"), config_ini);

  InputSet inputs = collect_inputs(config);
  FV_CHECK(!inputs.items.empty(), DataError, "input.path: '{}' holds no images (extensions: {})", config.input,
           join_names(config.extensions, " "));
  const auto [begin, end] = shard_range(inputs.items.size(), config.shard_index(), config.shard_count());
  result.shard_inputs = end - begin;
  std::string tsv;
  for (std::size_t i = 0; i < inputs.identities.size(); ++i) tsv += fmt::format("{}\t{}\n", i, inputs.identities[i]);
  write_file_atomic(out_dir / "identities.tsv", tsv);
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
  std::optional<RecordWriter> records;
  if (config.write_recordio) {
    if (fs::exists(config.record_path()) || fs::exists(config.index_path()) || state.records > 0) {
      truncate_record_files(config.record_path(), config.index_path(), state.records);
    }
    records.emplace(config.record_path(), config.index_path());
  }
  const Work work = remaining_work(config, inputs, begin, end, state);
  const std::vector<const InputItem*>& todo = work.todo;
  result.skipped = work.skipped;
  log::info("fv-align: {} inputs, shard {} has {}, {} already in '{}', {} to process (config {})",
            inputs.items.size(), config.shard, result.shard_inputs, result.skipped, manifest_path.string(), todo.size(),
            config_hash);
  ManifestWriter manifest(manifest_path, state.valid_bytes,
                          config.shard_index() == 0 && !state.has_header && state.valid_bytes == 0);
  const Models models = load_models(config, todo);
  log::info("template: {} {}x{}", enum_name(template_kind_names(), config.template_kind), target.width, target.height);

  const int threads = std::max(1, std::min<int>(resolve_threads(config.threads), static_cast<int>(todo.size())));
  std::optional<Progress> progress;
  if (config.progress) progress.emplace("align", todo.size(), "img");
  OrderedCommit commits(manifest, records ? &*records : nullptr, state.records, 64 * static_cast<std::size_t>(threads),
                        progress ? &*progress : nullptr);
  std::atomic<std::size_t> next{0};
  std::atomic<std::int64_t> errors{0};
  auto worker = [&]() {
    try {
      FaceAligner aligner(config, target, models.detector ? models.detector->clone() : nullptr, models.predictor);
      for (;;) {
        if (commits.aborting() || stop_requested()) return;
        const std::size_t i = next.fetch_add(1);
        if (i >= todo.size() || !commits.wait_for_turn(i)) return;
        std::vector<AlignOutput> faces = align_input(aligner, *todo[i], config, errors);
        if (config.write_images) write_images(faces, *todo[i], config, out_dir, images_dir);
        commits.done(i, std::move(faces));
      }
    } catch (...) {
      commits.fail(std::current_exception());
    }
  };
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(worker);
  for (auto& t : pool) t.join();
  if (progress) progress->finish();
  if (commits.failure()) std::rethrow_exception(commits.failure());
  // Results that finished after a gap (an input left unfinished by a stop) are dropped: redone on resume.
  result.processed = commits.committed();
  result.interrupted = commits.committed() < todo.size();
  if (records) records->close();

  std::vector<ManifestRow> all = std::move(state.rows);
  all.insert(all.end(), commits.rows().begin(), commits.rows().end());
  result.counts = count_statuses(all);
  result.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  write_summary(config, config_hash, result, all.size(), threads, commits.next_record());
  if (result.interrupted) log::warn("stopped before the end: re-run the same command to resume");
  return result;
}

}  // namespace fv
