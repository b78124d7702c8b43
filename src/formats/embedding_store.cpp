// HDF5 embeddings file: reader, one-shot writer and the resumable chunked writer (HDF5 C API).
#include "formats/embedding_store.h"

#include <hdf5.h>

#include <fmt/format.h>

#include "core/atomic_file.h"
#include "core/check.h"
#include "core/error.h"
#include "core/iso_time.h"
#include "core/logging.h"

namespace fv {
namespace {

// Owns one HDF5 id and closes it with the matching H5*close function.
class Handle {
 public:
  using Closer = herr_t (*)(hid_t);
  Handle() = default;
  Handle(hid_t id, Closer closer) : id_(id), closer_(closer) {}
  ~Handle() { reset(); }
  Handle(Handle&& o) noexcept : id_(o.id_), closer_(o.closer_) { o.id_ = -1; }
  Handle& operator=(Handle&& o) noexcept {
    if (this != &o) {
      reset();
      id_ = o.id_;
      closer_ = o.closer_;
      o.id_ = -1;
    }
    return *this;
  }
  Handle(const Handle&) = delete;
  Handle& operator=(const Handle&) = delete;
  hid_t get() const { return id_; }
  bool valid() const { return id_ >= 0; }
  void reset() {
    if (id_ >= 0 && closer_ != nullptr) closer_(id_);
    id_ = -1;
  }

 private:
  hid_t id_ = -1;
  Closer closer_ = nullptr;
};

// Before the first HDF5 call: no error stack printed (errors become exceptions), and no library clean-up at exit.
// HDF5 1.10's exit handler closes the files still open, and a file whose close failed (its flush hit a full disk)
// is still registered and crashes it (segmentation fault in H5F__close_cb, measured with a file-size limit). Every
// file here is closed by its Handle before exit, so the clean-up has nothing to do on a normal exit.
void quiet_hdf5() {
  static const bool done = [] {
    H5dont_atexit();
    H5Eset_auto2(H5E_DEFAULT, nullptr, nullptr);
    return true;
  }();
  (void)done;
}

hid_t checked(hid_t id, const std::filesystem::path& file, const std::string& what) {
  if (id < 0) throw FormatError(fmt::format("embeddings file '{}': cannot {}", file.string(), what));
  return id;
}

void checked_io(herr_t status, const std::filesystem::path& file, const std::string& what) {
  if (status < 0) throw IoError(fmt::format("embeddings file '{}': cannot {}", file.string(), what));
}

Handle string_type() {
  Handle t(H5Tcopy(H5T_C_S1), H5Tclose);
  H5Tset_size(t.get(), H5T_VARIABLE);
  H5Tset_cset(t.get(), H5T_CSET_UTF8);
  return t;
}

bool has_attribute(hid_t obj, const char* name) { return H5Aexists(obj, name) > 0; }

void write_attribute_raw(hid_t obj, const char* name, hid_t type, const void* value, const std::filesystem::path& f) {
  if (has_attribute(obj, name)) H5Adelete(obj, name);
  Handle space(H5Screate(H5S_SCALAR), H5Sclose);
  Handle attr(checked(H5Acreate2(obj, name, type, space.get(), H5P_DEFAULT, H5P_DEFAULT), f,
                      fmt::format("create attribute '{}'", name)),
              H5Aclose);
  checked_io(H5Awrite(attr.get(), type, value), f, fmt::format("write attribute '{}'", name));
}

void write_attribute(hid_t obj, const char* name, std::int64_t v, const std::filesystem::path& f) {
  write_attribute_raw(obj, name, H5T_NATIVE_INT64, &v, f);
}
void write_attribute_int(hid_t obj, const char* name, int v, const std::filesystem::path& f) {
  write_attribute_raw(obj, name, H5T_NATIVE_INT, &v, f);
}
void write_attribute(hid_t obj, const char* name, const std::string& v, const std::filesystem::path& f) {
  Handle t = string_type();
  const char* p = v.c_str();
  write_attribute_raw(obj, name, t.get(), &p, f);
}

Handle open_attribute(hid_t obj, const char* name, const std::filesystem::path& f) {
  if (!has_attribute(obj, name)) {
    throw FormatError(fmt::format("embeddings file '{}': missing root attribute '{}'", f.string(), name));
  }
  return Handle(checked(H5Aopen(obj, name, H5P_DEFAULT), f, fmt::format("open attribute '{}'", name)), H5Aclose);
}

std::int64_t read_int_attribute(hid_t obj, const char* name, const std::filesystem::path& f) {
  Handle a = open_attribute(obj, name, f);
  std::int64_t v = 0;
  if (H5Aread(a.get(), H5T_NATIVE_INT64, &v) < 0) {
    throw FormatError(fmt::format("embeddings file '{}': attribute '{}' is not an integer", f.string(), name));
  }
  return v;
}

std::string read_string_attribute(hid_t obj, const char* name, const std::filesystem::path& f) {
  Handle a = open_attribute(obj, name, f);
  Handle t = string_type();
  char* p = nullptr;
  if (H5Aread(a.get(), t.get(), &p) < 0) {
    throw FormatError(fmt::format("embeddings file '{}': attribute '{}' is not a string", f.string(), name));
  }
  std::string v = p != nullptr ? p : "";
  H5free_memory(p);
  return v;
}

void write_attributes(hid_t file, const EmbeddingAttributes& a, const std::filesystem::path& f) {
  write_attribute_int(file, "format_version", a.format_version, f);
  write_attribute(file, "embedding_dim", a.embedding_dim, f);
  write_attribute(file, "model_hash", a.model_hash, f);
  write_attribute(file, "config_hash", a.config_hash, f);
  write_attribute(file, "flip_mode", a.flip_mode, f);
  write_attribute_int(file, "normalized", a.normalized ? 1 : 0, f);
  write_attribute(file, "created", a.created.empty() ? iso_time_now() : a.created, f);
}

EmbeddingAttributes read_attributes(hid_t file, const std::filesystem::path& f) {
  EmbeddingAttributes a;
  a.format_version = static_cast<int>(read_int_attribute(file, "format_version", f));
  if (a.format_version != kEmbeddingFormatVersion) {
    throw FormatError(fmt::format("embeddings file '{}': unknown format_version {} (this build reads version {})",
                                  f.string(), a.format_version, kEmbeddingFormatVersion));
  }
  a.embedding_dim = read_int_attribute(file, "embedding_dim", f);
  a.model_hash = read_string_attribute(file, "model_hash", f);
  a.config_hash = read_string_attribute(file, "config_hash", f);
  a.flip_mode = read_string_attribute(file, "flip_mode", f);
  a.normalized = read_int_attribute(file, "normalized", f) != 0;
  a.created = read_string_attribute(file, "created", f);
  return a;
}

// A 1-D (width 0) or 2-D [rows, width] dataset, extendible along rows.
Handle create_rows(hid_t file, const char* name, hid_t type, std::int64_t width, std::int64_t chunk_rows,
                   int gzip, const std::filesystem::path& f) {
  const int rank = width > 0 ? 2 : 1;
  hsize_t dims[2] = {0, static_cast<hsize_t>(width)};
  hsize_t maxdims[2] = {H5S_UNLIMITED, static_cast<hsize_t>(width)};
  hsize_t chunk[2] = {static_cast<hsize_t>(std::max<std::int64_t>(1, chunk_rows)), static_cast<hsize_t>(width)};
  Handle space(H5Screate_simple(rank, dims, maxdims), H5Sclose);
  Handle plist(H5Pcreate(H5P_DATASET_CREATE), H5Pclose);
  H5Pset_chunk(plist.get(), rank, chunk);
  if (gzip > 0) H5Pset_deflate(plist.get(), static_cast<unsigned>(gzip));
  return Handle(checked(H5Dcreate2(file, name, type, space.get(), H5P_DEFAULT, plist.get(), H5P_DEFAULT), f,
                        fmt::format("create dataset '{}'", name)),
                H5Dclose);
}

std::int64_t dataset_rows(hid_t dset, std::int64_t* width = nullptr) {
  Handle space(H5Dget_space(dset), H5Sclose);
  hsize_t dims[2] = {0, 0};
  const int rank = H5Sget_simple_extent_ndims(space.get());
  H5Sget_simple_extent_dims(space.get(), dims, nullptr);
  if (width != nullptr) *width = rank == 2 ? static_cast<std::int64_t>(dims[1]) : 0;
  return static_cast<std::int64_t>(dims[0]);
}

// Extends `dset` by n rows and writes `data` (memory type `mem_type`) into them.
void append_rows(hid_t dset, hid_t mem_type, std::int64_t n, std::int64_t width, const void* data,
                 const std::filesystem::path& f, const char* name) {
  if (n == 0) return;
  const std::int64_t old_rows = dataset_rows(dset);
  const int rank = width > 0 ? 2 : 1;
  hsize_t new_dims[2] = {static_cast<hsize_t>(old_rows + n), static_cast<hsize_t>(width)};
  checked_io(H5Dset_extent(dset, new_dims), f, fmt::format("extend dataset '{}'", name));
  Handle file_space(H5Dget_space(dset), H5Sclose);
  hsize_t start[2] = {static_cast<hsize_t>(old_rows), 0};
  hsize_t count[2] = {static_cast<hsize_t>(n), static_cast<hsize_t>(width)};
  H5Sselect_hyperslab(file_space.get(), H5S_SELECT_SET, start, nullptr, count, nullptr);
  Handle mem_space(H5Screate_simple(rank, count, nullptr), H5Sclose);
  checked_io(H5Dwrite(dset, mem_type, mem_space.get(), file_space.get(), H5P_DEFAULT, data), f,
             fmt::format("write dataset '{}'", name));
}

void append_strings(hid_t dset, const std::vector<std::string>& values, const std::filesystem::path& f) {
  std::vector<const char*> ptrs;
  ptrs.reserve(values.size());
  for (const auto& v : values) ptrs.push_back(v.c_str());
  Handle t = string_type();
  append_rows(dset, t.get(), static_cast<std::int64_t>(values.size()), 0, ptrs.data(), f, "ids");
}

Handle open_dataset(hid_t file, const char* name, const std::filesystem::path& f) {
  if (H5Lexists(file, name, H5P_DEFAULT) <= 0) {
    throw FormatError(fmt::format("embeddings file '{}': missing dataset '{}'", f.string(), name));
  }
  return Handle(checked(H5Dopen2(file, name, H5P_DEFAULT), f, fmt::format("open dataset '{}'", name)), H5Dclose);
}

template <class T>
std::vector<T> read_numeric(hid_t dset, hid_t mem_type, std::size_t count, const std::filesystem::path& f,
                            const char* name) {
  std::vector<T> out(count);
  if (count > 0 && H5Dread(dset, mem_type, H5S_ALL, H5S_ALL, H5P_DEFAULT, out.data()) < 0) {
    throw FormatError(fmt::format("embeddings file '{}': cannot read dataset '{}'", f.string(), name));
  }
  return out;
}

std::vector<std::string> read_strings(hid_t dset, std::size_t count, const std::filesystem::path& f) {
  std::vector<char*> ptrs(count, nullptr);
  Handle t = string_type();
  if (count > 0 && H5Dread(dset, t.get(), H5S_ALL, H5S_ALL, H5P_DEFAULT, ptrs.data()) < 0) {
    throw FormatError(fmt::format("embeddings file '{}': cannot read dataset 'ids' as strings", f.string()));
  }
  std::vector<std::string> out;
  out.reserve(count);
  for (char* p : ptrs) {
    out.emplace_back(p != nullptr ? p : "");
    H5free_memory(p);
  }
  return out;
}

Handle open_file(const std::filesystem::path& path, unsigned flags) {
  quiet_hdf5();
  if (!std::filesystem::exists(path)) {
    throw IoError(fmt::format("embeddings file '{}' does not exist", path.string()));
  }
  hid_t id = H5Fopen(path.c_str(), flags, H5P_DEFAULT);
  if (id < 0) throw FormatError(fmt::format("embeddings file '{}' is not a readable HDF5 file", path.string()));
  return Handle(id, H5Fclose);
}

bool same_identity(const EmbeddingAttributes& a, const EmbeddingAttributes& b) {
  return a.embedding_dim == b.embedding_dim && a.model_hash == b.model_hash && a.config_hash == b.config_hash &&
         a.flip_mode == b.flip_mode && a.normalized == b.normalized;
}

}  // namespace


EmbeddingSet read_embeddings(const std::filesystem::path& path) {
  Handle file = open_file(path, H5F_ACC_RDONLY);
  EmbeddingSet set;
  set.attributes = read_attributes(file.get(), path);
  const std::int64_t dim = set.attributes.embedding_dim;
  FV_CHECK(dim > 0, FormatError, "embeddings file '{}': embedding_dim must be positive", path.string());

  Handle emb = open_dataset(file.get(), "embeddings", path);
  std::int64_t width = 0;
  const std::int64_t rows = dataset_rows(emb.get(), &width);
  if (width != dim) {
    throw FormatError(fmt::format("embeddings file '{}': /embeddings has {} columns but embedding_dim is {}",
                                  path.string(), width, dim));
  }
  set.embeddings = read_numeric<float>(emb.get(), H5T_NATIVE_FLOAT, static_cast<std::size_t>(rows * dim), path,
                                       "embeddings");
  Handle ids = open_dataset(file.get(), "ids", path);
  const std::int64_t id_rows = dataset_rows(ids.get());
  if (id_rows != rows) {
    throw FormatError(
        fmt::format("embeddings file '{}': /ids has {} rows but /embeddings has {}", path.string(), id_rows, rows));
  }
  set.ids = read_strings(ids.get(), static_cast<std::size_t>(rows), path);
  if (H5Lexists(file.get(), "labels", H5P_DEFAULT) > 0) {
    Handle d = open_dataset(file.get(), "labels", path);
    const std::int64_t n = dataset_rows(d.get());
    if (n != rows) {
      throw FormatError(
          fmt::format("embeddings file '{}': /labels has {} rows but /embeddings has {}", path.string(), n, rows));
    }
    set.labels = read_numeric<std::int64_t>(d.get(), H5T_NATIVE_INT64, static_cast<std::size_t>(n), path, "labels");
  }
  if (H5Lexists(file.get(), "pair_flags", H5P_DEFAULT) > 0) {
    Handle d = open_dataset(file.get(), "pair_flags", path);
    const std::int64_t n = dataset_rows(d.get());
    if (2 * n != rows) {
      throw FormatError(fmt::format("embeddings file '{}': /pair_flags has {} pairs but /embeddings has {} rows "
                                    "(expected rows = 2 x pairs)",
                                    path.string(), n, rows));
    }
    set.pair_flags =
        read_numeric<std::int8_t>(d.get(), H5T_NATIVE_INT8, static_cast<std::size_t>(n), path, "pair_flags");
  }
  return set;
}

void write_embeddings(const std::filesystem::path& path, const EmbeddingSet& set, int gzip_level) {
  quiet_hdf5();
  const std::int64_t dim = set.attributes.embedding_dim;
  FV_CHECK(dim > 0, ConfigError, "writing '{}': embedding_dim must be positive", path.string());
  FV_CHECK_EQ(static_cast<std::int64_t>(set.embeddings.size()), set.rows() * dim, ConfigError,
              "writing '{}': embeddings size must be rows x embedding_dim", path.string());
  if (set.labels) {
    FV_CHECK_EQ(static_cast<std::int64_t>(set.labels->size()), set.rows(), ConfigError,
                "writing '{}': one label per row", path.string());
  }
  if (set.pair_flags) {
    FV_CHECK_EQ(static_cast<std::int64_t>(set.pair_flags->size()) * 2, set.rows(), ConfigError,
                "writing '{}': one pair flag per two rows", path.string());
  }
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  AtomicOutput out(path);
  {
    Handle file(H5Fcreate(out.temp_path().c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
    if (!file.valid()) throw IoError(fmt::format("cannot create HDF5 file '{}'", out.temp_path().string()));
    write_attributes(file.get(), set.attributes, path);
    write_attribute(file.get(), "rows_committed", set.rows(), path);
    const std::int64_t chunk = std::max<std::int64_t>(1, std::min<std::int64_t>(1024, set.rows()));
    Handle emb = create_rows(file.get(), "embeddings", H5T_IEEE_F32LE, dim, chunk, gzip_level, path);
    append_rows(emb.get(), H5T_NATIVE_FLOAT, set.rows(), dim, set.embeddings.data(), path, "embeddings");
    Handle st = string_type();
    Handle ids = create_rows(file.get(), "ids", st.get(), 0, chunk, gzip_level, path);
    append_strings(ids.get(), set.ids, path);
    if (set.labels) {
      Handle d = create_rows(file.get(), "labels", H5T_STD_I64LE, 0, chunk, gzip_level, path);
      append_rows(d.get(), H5T_NATIVE_INT64, set.rows(), 0, set.labels->data(), path, "labels");
    }
    if (set.pair_flags) {
      Handle d = create_rows(file.get(), "pair_flags", H5T_STD_I8LE, 0, chunk, 0, path);
      append_rows(d.get(), H5T_NATIVE_INT8, set.rows() / 2, 0, set.pair_flags->data(), path, "pair_flags");
    }
    checked_io(H5Fflush(file.get(), H5F_SCOPE_GLOBAL), path, "flush");
  }
  out.commit();
}

// ---- EmbeddingWriter ----

struct EmbeddingWriter::Impl {
  std::filesystem::path final_path;
  std::filesystem::path partial;
  EmbeddingAttributes attributes;
  Options options;
  Handle file;
  Handle embeddings;
  Handle ids;
  Handle labels;
  std::int64_t rows = 0;
};

std::filesystem::path EmbeddingWriter::partial_path(const std::filesystem::path& path) {
  return std::filesystem::path(path.string() + ".partial");
}

EmbeddingWriter::EmbeddingWriter(const std::filesystem::path& path, const EmbeddingAttributes& attributes,
                                 Options options)
    : impl_(std::make_unique<Impl>()) {
  quiet_hdf5();
  Impl& s = *impl_;
  s.final_path = path;
  s.partial = partial_path(path);
  s.attributes = attributes;
  s.options = options;
  FV_CHECK(attributes.embedding_dim > 0, ConfigError, "writing '{}': embedding_dim must be positive", path.string());
  if (std::filesystem::exists(path)) {
    throw ConfigError(fmt::format("embeddings file '{}' already exists and is complete; remove it to write it again",
                                  path.string()));
  }
  if (std::filesystem::exists(s.partial)) {
    try {
      resume(s, options);
      return;
    } catch (const FormatError& e) {
      // A partial file HDF5 cannot read back (a write that failed half-way, e.g. on a full disk, leaves its
      // metadata torn): set aside, never deleted, and the rows are computed again.
      s.embeddings = Handle();
      s.ids = Handle();
      s.labels = Handle();
      s.file = Handle();
      s.attributes = attributes;
      s.rows = 0;
      const std::filesystem::path aside(s.partial.string() + ".unreadable");
      std::filesystem::rename(s.partial, aside);
      log::warn("cannot resume from '{}' ({}); moved it to '{}' and starting again", s.partial.string(), e.what(),
                aside.string());
    }
  }
  create(s, options);
}

void EmbeddingWriter::resume(Impl& s, const Options& options) {
  const EmbeddingAttributes& attributes = s.attributes;
  s.file = open_file(s.partial, H5F_ACC_RDWR);
  const EmbeddingAttributes found = read_attributes(s.file.get(), s.partial);
  if (!same_identity(found, attributes)) {
    throw ConfigError(fmt::format(
        "cannot resume '{}': it was written with another model/config (model_hash {} vs {}, config_hash {} vs {}, "
        "dim {} vs {}); remove it to start again",
        s.partial.string(), found.model_hash, attributes.model_hash, found.config_hash, attributes.config_hash,
        found.embedding_dim, attributes.embedding_dim));
  }
  s.attributes.created = found.created;
  s.rows = read_int_attribute(s.file.get(), "rows_committed", s.partial);
  s.embeddings = open_dataset(s.file.get(), "embeddings", s.partial);
  s.ids = open_dataset(s.file.get(), "ids", s.partial);
  const bool has_labels = H5Lexists(s.file.get(), "labels", H5P_DEFAULT) > 0;
  if (has_labels != options.with_labels) {
    throw ConfigError(fmt::format("cannot resume '{}': it was written {} labels but this run writes {} labels",
                                  s.partial.string(), has_labels ? "with" : "without",
                                  options.with_labels ? "with" : "without"));
  }
  if (options.with_labels) s.labels = open_dataset(s.file.get(), "labels", s.partial);
  // Trim rows written after the last commit (a kill between the data flush and the attribute update).
  for (Handle* d : {&s.embeddings, &s.ids, &s.labels}) {
    if (!d->valid()) continue;
    std::int64_t width = 0;
    const std::int64_t n = dataset_rows(d->get(), &width);
    FV_CHECK(n >= s.rows, FormatError, "embeddings file '{}': a dataset has {} rows, fewer than rows_committed {}",
             s.partial.string(), n, s.rows);
    if (n > s.rows) {
      hsize_t dims[2] = {static_cast<hsize_t>(s.rows), static_cast<hsize_t>(width)};
      checked_io(H5Dset_extent(d->get(), dims), s.partial, "trim uncommitted rows");
    }
  }
}

void EmbeddingWriter::create(Impl& s, const Options& options) {
  const EmbeddingAttributes& attributes = s.attributes;
  const std::filesystem::path& path = s.final_path;
  if (path.has_parent_path()) std::filesystem::create_directories(path.parent_path());
  s.file = Handle(H5Fcreate(s.partial.c_str(), H5F_ACC_TRUNC, H5P_DEFAULT, H5P_DEFAULT), H5Fclose);
  if (!s.file.valid()) throw IoError(fmt::format("cannot create HDF5 file '{}'", s.partial.string()));
  if (s.attributes.created.empty()) s.attributes.created = iso_time_now();
  write_attributes(s.file.get(), s.attributes, s.partial);
  write_attribute(s.file.get(), "rows_committed", std::int64_t{0}, s.partial);
  s.embeddings = create_rows(s.file.get(), "embeddings", H5T_IEEE_F32LE, attributes.embedding_dim, options.chunk_rows,
                             options.gzip_level, s.partial);
  Handle st = string_type();
  s.ids = create_rows(s.file.get(), "ids", st.get(), 0, options.chunk_rows, options.gzip_level, s.partial);
  if (options.with_labels) {
    s.labels = create_rows(s.file.get(), "labels", H5T_STD_I64LE, 0, options.chunk_rows, options.gzip_level,
                           s.partial);
  }
  checked_io(H5Fflush(s.file.get(), H5F_SCOPE_GLOBAL), s.partial, "flush");
}

EmbeddingWriter::~EmbeddingWriter() = default;

std::int64_t EmbeddingWriter::rows() const { return impl_->rows; }

void EmbeddingWriter::append(const std::vector<float>& embeddings, const std::vector<std::string>& ids,
                             const std::vector<std::int64_t>& labels) {
  Impl& s = *impl_;
  FV_CHECK(s.file.valid(), ConfigError, "append to '{}' after finish()", s.final_path.string());
  const auto n = static_cast<std::int64_t>(ids.size());
  FV_CHECK_EQ(static_cast<std::int64_t>(embeddings.size()), n * s.attributes.embedding_dim, ConfigError,
              "append to '{}': embeddings must hold ids.size() x embedding_dim floats", s.final_path.string());
  if (s.options.with_labels) {
    FV_CHECK_EQ(static_cast<std::int64_t>(labels.size()), n, ConfigError, "append to '{}': one label per row",
                s.final_path.string());
  } else {
    FV_CHECK(labels.empty(), ConfigError, "append to '{}': labels given but the writer was opened without labels",
             s.final_path.string());
  }
  append_rows(s.embeddings.get(), H5T_NATIVE_FLOAT, n, s.attributes.embedding_dim, embeddings.data(), s.partial,
              "embeddings");
  append_strings(s.ids.get(), ids, s.partial);
  if (s.options.with_labels) append_rows(s.labels.get(), H5T_NATIVE_INT64, n, 0, labels.data(), s.partial, "labels");
  checked_io(H5Fflush(s.file.get(), H5F_SCOPE_GLOBAL), s.partial, "flush");
  s.rows += n;
  write_attribute(s.file.get(), "rows_committed", s.rows, s.partial);
  checked_io(H5Fflush(s.file.get(), H5F_SCOPE_GLOBAL), s.partial, "flush");
}

bool EmbeddingWriter::discard_if_empty() noexcept {
  Impl& s = *impl_;
  if (!s.file.valid() || s.rows != 0) return false;
  s.labels.reset();
  s.ids.reset();
  s.embeddings.reset();
  s.file.reset();
  std::error_code ec;
  return std::filesystem::remove(s.partial, ec) && !ec;
}

void EmbeddingWriter::finish(const std::optional<std::vector<std::int8_t>>& pair_flags) {
  Impl& s = *impl_;
  FV_CHECK(s.file.valid(), ConfigError, "finish() called twice on '{}'", s.final_path.string());
  if (pair_flags) {
    FV_CHECK_EQ(static_cast<std::int64_t>(pair_flags->size()) * 2, s.rows, ConfigError,
                "finishing '{}': one pair flag per two rows", s.final_path.string());
    Handle d = create_rows(s.file.get(), "pair_flags", H5T_STD_I8LE, 0, std::max<std::int64_t>(1, s.rows / 2), 0,
                           s.partial);
    append_rows(d.get(), H5T_NATIVE_INT8, s.rows / 2, 0, pair_flags->data(), s.partial, "pair_flags");
  }
  checked_io(H5Fflush(s.file.get(), H5F_SCOPE_GLOBAL), s.partial, "flush");
  s.labels.reset();
  s.ids.reset();
  s.embeddings.reset();
  s.file.reset();
  std::error_code ec;
  std::filesystem::rename(s.partial, s.final_path, ec);
  if (ec) {
    throw IoError(fmt::format("cannot rename '{}' to '{}': {}", s.partial.string(), s.final_path.string(),
                              ec.message()));
  }
}

}  // namespace fv
