// fv-embed's job: batches from the loader, embeddings appended to a resumable HDF5 file, failures recorded.
#include "embed/embed_run.h"

#include <algorithm>
#include <chrono>
#include <exception>
#include <fstream>
#include <sstream>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/check.h"
#include "formats/embedding_store.h"
#include "core/logging.h"
#include "core/progress.h"
#include "core/runtime.h"
#include "dataset/batch_loader.h"
#include "dataset/pickle_bin.h"
#include "dataset/recordio_source.h"

namespace fv {
namespace {

struct FailureRow {
  std::int64_t step;
  std::size_t index;
  std::string id;
  std::string reason;
};

std::string csv_quote(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"') out += '"';
    out += (c == '\n' || c == '\r') ? ' ' : c;
  }
  return out + "\"";
}

std::filesystem::path failures_path(const std::string& output) { return output + ".failures.csv"; }

std::string failures_header(int batch_size) {
  return fmt::format("# fv-embed failures; batch_size={}\nstep,index,id,reason\n", batch_size);
}

// Reads back the failures of an interrupted run (only step and index matter for resuming).
std::vector<FailureRow> read_failures(const std::filesystem::path& path, int batch_size) {
  std::vector<FailureRow> rows;
  std::ifstream in(path);
  if (!in) return rows;
  std::string line;
  std::getline(in, line);
  const std::string expected = failures_header(batch_size).substr(0, failures_header(batch_size).find('\n'));
  FV_CHECK(line == expected, ConfigError,
           "'{}' was written with another embed.batch_size; resume with the same configuration", path.string());
  std::getline(in, line);  // column names
  for (int number = 3; std::getline(in, line); ++number) {
    FailureRow row;
    std::istringstream fields(line);
    char comma1 = 0, comma2 = 0;
    if (!(fields >> row.step >> comma1 >> row.index >> comma2) || comma1 != ',' || comma2 != ',') {
      throw FormatError(fmt::format("{}:{}: malformed failure row '{}'", path.string(), number, line));
    }
    std::getline(fields, row.id);  // keeps "id,reason" verbatim for rewriting
    rows.push_back(std::move(row));
  }
  return rows;
}

}  // namespace

std::unique_ptr<SampleSource> open_embed_input(const EmbedConfig& config,
                                               std::optional<std::vector<std::int8_t>>* pair_flags) {
  InputKind kind = config.input_kind;
  if (kind == InputKind::kAuto) {
    std::error_code ec;
    const std::string ext = std::filesystem::path(config.input).extension().string();
    kind = std::filesystem::is_directory(config.input, ec) ? InputKind::kFolder
           : ext == ".rec"                                  ? InputKind::kRecordIO
           : ext == ".bin"                                  ? InputKind::kBin
                                                            : InputKind::kList;
  }
  switch (kind) {
    case InputKind::kFolder:
      return open_image_folder(config.input);
    case InputKind::kRecordIO:
      return open_recordio(config.input);
    case InputKind::kBin: {
      std::vector<std::int8_t> flags;
      auto source = open_bin_set(config.input, &flags);
      if (pair_flags) *pair_flags = std::move(flags);
      return source;
    }
    default:
      return open_list_file(config.input);
  }
}

EmbedSummary run_embed(const EmbedConfig& config, const SampleSource& source, Embedder& embedder,
                       const std::string& config_hash, const std::optional<std::vector<std::int8_t>>& pair_flags) {
  if (pair_flags) {
    FV_CHECK_EQ(pair_flags->size() * 2, source.size(), DataError, "'{}': {} pair flags for {} images", config.input,
                pair_flags->size(), source.size());
  }
  const auto start = std::chrono::steady_clock::now();
  EmbedSummary summary;
  summary.inputs = static_cast<std::int64_t>(source.size());

  EmbeddingAttributes attributes;
  attributes.embedding_dim = output_dim(embedder.dim(), config.embedder.flip);
  attributes.model_hash = embedder.model_hash();
  attributes.config_hash = config_hash;
  attributes.flip_mode = enum_name(flip_mode_names(), config.embedder.flip);
  attributes.normalized = config.embedder.normalize;
  EmbeddingWriter::Options writer_options;
  writer_options.chunk_rows = config.chunk_rows;
  writer_options.gzip_level = config.compression;
  writer_options.with_labels = source.label(0) >= 0;
  EmbeddingWriter writer(config.output, attributes, writer_options);
  // A run that stops on an error before any row is stored (an unreadable image in the first batch of a .bin
  // set, too many failures at once) leaves no <output>.partial: there is nothing to resume, and an empty
  // partial file would pin the next run to this run's model and config. <output>.failures.csv stays: the
  // error message points at it.
  struct DiscardEmptyOnError {
    EmbeddingWriter& writer;
    const int exceptions = std::uncaught_exceptions();
    ~DiscardEmptyOnError() {
      if (std::uncaught_exceptions() > exceptions) writer.discard_if_empty();
    }
  } discard_empty_on_error{writer};

  // Resume: find the batch after the last one whose rows are all committed. Batch k holds
  // batch_size - failures(k) rows; failures are recorded before their batch's rows are appended.
  const auto fail_path = failures_path(config.output);
  std::vector<FailureRow> failures = read_failures(fail_path, config.batch_size);
  const std::int64_t committed = writer.rows();
  std::int64_t resume_step = 0;
  if (committed > 0) {
    std::int64_t rows = 0;
    const std::int64_t n = summary.inputs, b = config.batch_size;
    while (rows < committed) {
      const std::int64_t in_batch = std::min(b, n - resume_step * b);
      std::int64_t failed = 0;
      for (const auto& f : failures) failed += f.step == resume_step;
      rows += in_batch - failed;
      ++resume_step;
    }
    FV_CHECK_EQ(rows, committed, DataError,
                "'{}' holds {} rows, which matches no batch boundary; was embed.batch_size or embed.input changed?",
                EmbeddingWriter::partial_path(config.output).string(), committed);
    log::info("resuming: {} rows already in {}, continuing at input {}", committed,
              EmbeddingWriter::partial_path(config.output).string(), resume_step * b);
  }
  failures.erase(std::remove_if(failures.begin(), failures.end(),
                                [&](const FailureRow& f) { return f.step >= resume_step; }),
                 failures.end());
  {
    std::string text = failures_header(config.batch_size);
    for (const auto& f : failures) text += fmt::format("{},{},{}\n", f.step, f.index, f.id);
    write_file_atomic(fail_path, text);
  }
  summary.resumed_rows = committed;
  summary.failed = static_cast<std::int64_t>(failures.size());

  LoaderOptions loader_options;
  loader_options.batch_size = config.batch_size;
  loader_options.shuffle = false;
  loader_options.drop_last = false;
  loader_options.skip_failures = true;
  loader_options.threads = std::max(1, resolve_threads(config.threads));
  loader_options.allocate = embedder.input_allocator();
  BatchLoader loader(source, embedder.preprocess(), {}, loader_options);
  loader.start_epoch(0, resume_step);

  std::ofstream fail_out(fail_path, std::ios::app);
  if (!fail_out) throw IoError(fmt::format("cannot append to '{}'", fail_path.string()));
  const auto max_failures = static_cast<std::int64_t>(config.max_failure_rate * static_cast<double>(summary.inputs));
  Progress progress("embed", static_cast<std::uint64_t>(summary.inputs), "img");
  progress.advance(static_cast<std::uint64_t>(std::min(summary.inputs, resume_step * config.batch_size)));
  std::int64_t rows = committed;
  while (auto batch = loader.next()) {
    for (const auto& f : batch->failures) {
      fail_out << fmt::format("{},{},{},{}\n", batch->step, f.index, csv_quote(source.id(f.index)), csv_quote(f.reason));
      log::warn("unreadable input {} ('{}'): {}", f.index, source.id(f.index), f.reason);
    }
    fail_out.flush();
    summary.failed += static_cast<std::int64_t>(batch->failures.size());
    if (pair_flags && !batch->failures.empty()) {
      const auto& f = batch->failures.front();
      throw DataError(fmt::format("'{}': image {} of the pair set is unreadable ({}); every image of a .bin set must "
                                  "embed, or the pairs would shift",
                                  config.input, f.index, f.reason));
    }
    if (summary.failed > max_failures) {
      throw DataError(fmt::format("{} of {} inputs are unreadable, over embed.max_failure_rate = {} (see '{}')",
                                  summary.failed, summary.inputs, config.max_failure_rate, fail_path.string()));
    }
    const auto n = static_cast<std::int64_t>(batch->size());
    if (n > 0) {
      const auto embeddings = embed_with_tta(embedder, batch->data(), n, config.embedder.flip, config.embedder.normalize);
      std::vector<std::string> ids;
      ids.reserve(batch->indices.size());
      for (std::size_t i : batch->indices) ids.push_back(source.id(i));
      writer.append(embeddings, ids, writer_options.with_labels ? batch->labels : std::vector<std::int64_t>{});
      rows += n;
    }
    progress.advance(static_cast<std::uint64_t>(n) + batch->failures.size());
    if (stop_requested()) {
      summary.interrupted = true;
      break;
    }
  }
  progress.finish();
  summary.embedded = rows;
  if (!summary.interrupted) writer.finish(pair_flags);
  summary.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return summary;
}

}  // namespace fv
