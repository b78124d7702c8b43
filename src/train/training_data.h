// Opening a training or test set by kind (identity folders, list file, MNIST IDX, MXNet RecordIO).
#pragma once

#include <filesystem>
#include <memory>
#include <string>

#include "dataset/sample_source.h"
#include "train/train_config.h"

namespace fv {

// The kind `kAuto` stands for, from the path: *.rec -> recordio, *idx3-ubyte[.gz] -> mnist, a folder ->
// folder, any other file -> list.
DataKind resolve_data_kind(DataKind kind, const std::filesystem::path& path);

// Opens `path` as `kind` (`labels`: the MNIST labels file). `key` names the config key in errors.
// Throws ConfigError when a labelled set is needed and the source has no labels (label -1) or when
// mnist is asked for without labels; IoError / FormatError from the readers (naming the file).
std::unique_ptr<SampleSource> open_training_source(const std::filesystem::path& path, DataKind kind,
                                                   const std::filesystem::path& labels, const std::string& key);

// The first `count` samples of `source` (all when count is 0 or exceeds its size). Takes ownership.
std::unique_ptr<SampleSource> first_samples(std::unique_ptr<SampleSource> source, std::size_t count);

}  // namespace fv
