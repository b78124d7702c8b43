// The embeddings file (HDF5) written by fv-embed and read by fv-eval / fv-verify: format, reader, writer.
//
// File layout, format_version 1:
//   /embeddings  float32 [N, D], chunked (rows), optionally gzip-compressed
//   /ids         variable-length UTF-8 strings [N]: the input's relative path ("Name/Name_0001.jpg")
//                or its record index as decimal text
//   /labels      int64 [N], optional: identity index, when known
//   /pair_flags  int8 [N/2], optional: for insightface .bin sets, pair i is rows (2i, 2i+1); 1 = same
//   root attributes: format_version (int32, = 1), embedding_dim (int64), model_hash (string),
//                    config_hash (string), flip_mode (string: none|sum|concat), normalized (int32 0/1),
//                    created (string, ISO-8601 UTC), rows_committed (int64, see below)
//
// Resumable writes: EmbeddingWriter writes into "<path>.partial". Each append() extends every row
// dataset, flushes the data, then records the new row count in the root attribute `rows_committed` and
// flushes again. Reopening the partial file (after a kill) trims every dataset back to rows_committed, so
// a resumed run neither duplicates nor loses rows. finish() writes the optional pair flags, marks the
// file complete and renames it to <path> (an atomic rename: <path> is always either absent or complete).
// HDF5 1.10 has no journaling: a kill in the middle of a metadata write can still corrupt the partial
// file; then open() throws FormatError and the run must start again.
#pragma once

#include <cstdint>
#include <filesystem>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace fv {

inline constexpr int kEmbeddingFormatVersion = 1;

// The root attributes of an embeddings file.
struct EmbeddingAttributes {
  int format_version = kEmbeddingFormatVersion;
  std::int64_t embedding_dim = 0;
  std::string model_hash;   // sha256 of the model file (or a prefix of it)
  std::string config_hash;  // OptionSet::hash() of the run that wrote the file
  std::string flip_mode = "none";
  bool normalized = true;
  std::string created;  // ISO-8601 UTC; filled by the writer when empty
};

// A whole embeddings file in memory. embeddings is row-major [rows(), attributes.embedding_dim].
struct EmbeddingSet {
  EmbeddingAttributes attributes;
  std::vector<float> embeddings;
  std::vector<std::string> ids;
  std::optional<std::vector<std::int64_t>> labels;
  std::optional<std::vector<std::int8_t>> pair_flags;

  std::int64_t rows() const { return static_cast<std::int64_t>(ids.size()); }
  const float* row(std::int64_t i) const { return embeddings.data() + i * attributes.embedding_dim; }
};

// Reads a complete embeddings file.
// Throws IoError if it cannot be opened; FormatError naming the file for an unknown format_version,
// a missing dataset or attribute, or inconsistent shapes (ids/labels length != rows, width != dim).
EmbeddingSet read_embeddings(const std::filesystem::path& path);

// Writes `set` to `path` in one go, atomically (temporary file, then rename).
// Requires: embeddings.size() == ids.size() * embedding_dim, labels (if any) of length rows.
// Throws ConfigError for an inconsistent set, IoError if the file cannot be written.
void write_embeddings(const std::filesystem::path& path, const EmbeddingSet& set, int gzip_level = 0);

// Chunked, resumable writer (see the file comment).
class EmbeddingWriter {
 public:
  struct Options {
    std::int64_t chunk_rows = 1024;  // HDF5 chunk height
    int gzip_level = 0;              // 0: no compression; 1..9: deflate level
    bool with_labels = false;        // create /labels
  };

  // Opens "<path>.partial" when it exists (resume: its attributes must equal `attributes` except
  // `created`, else ConfigError), or creates it. rows() then tells how many rows are already stored. A partial
  // file HDF5 cannot read back (torn by a write that failed, e.g. on a full disk) is renamed
  // "<path>.partial.unreadable", with a warning, and a new one is started.
  // Throws IoError / FormatError as read_embeddings does; ConfigError if `path` itself already exists
  // (a finished file is never appended to).
  EmbeddingWriter(const std::filesystem::path& path, const EmbeddingAttributes& attributes, Options options);
  ~EmbeddingWriter();
  EmbeddingWriter(const EmbeddingWriter&) = delete;
  EmbeddingWriter& operator=(const EmbeddingWriter&) = delete;

  static std::filesystem::path partial_path(const std::filesystem::path& path);

  // Rows durably stored so far.
  std::int64_t rows() const;

  // Appends n = ids.size() rows (`embeddings` holds n * embedding_dim floats; `labels` n values, required
  // iff Options::with_labels) and flushes them. Throws ConfigError on a size mismatch, IoError on write.
  void append(const std::vector<float>& embeddings, const std::vector<std::string>& ids,
              const std::vector<std::int64_t>& labels = {});

  // Writes /pair_flags (length must be rows() / 2), closes the file and renames it to the final path.
  void finish(const std::optional<std::vector<std::int8_t>>& pair_flags = std::nullopt);

  // For a run that stops on an error: when no row is stored (rows() == 0) and finish() was not called,
  // closes the file and removes "<path>.partial" (there is nothing to resume) and returns true; otherwise
  // keeps everything and returns false. Never throws: a partial file that cannot be removed stays, and a
  // later run resumes from its zero rows.
  bool discard_if_empty() noexcept;

 private:
  struct Impl;
  // The constructor's two cases: reopen "<path>.partial" (FormatError when HDF5 cannot read it back), or create it.
  static void resume(Impl& s, const Options& options);
  static void create(Impl& s, const Options& options);
  std::unique_ptr<Impl> impl_;
};

}  // namespace fv
