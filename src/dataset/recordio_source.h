// A SampleSource over an MXNet RecordIO pair (.rec + .idx): fv-align's packed output and insightface's
// training sets (MS1M, WebFace, Glint .rec files).
#pragma once

#include <filesystem>
#include <memory>

#include "dataset/sample_source.h"

namespace fv {

// Opens `rec_path` and the index next to it (the same path with the extension .idx; MXNet's layout).
//
// Samples: the records listed in the .idx, in .idx order, except header records. Like insightface's
// dataset code, a record with key 0 whose IRHeader has flag > 0 is a header whose label vector is
// [N + 1, N + 1 + K] for N images and K identities (`pack(IRHeader(0, [N + 1, N + 1 + K], 0, 0), b'')`); the
// samples are then the keys 1 .. label[0]-1, as insightface's `imgidx = range(1, int(header.label[0]))` (the
// identity-range records at keys N + 1 .. are left out). To tell it from a multi-label image record, a header
// must carry no image bytes.
//   label(i) = int(label[0]) (IRHeader.label, or the first element of the label vector when flag > 0);
//   id(i)    = the record's key as decimal text (fv-align writes key = record number; insightface key = index);
//   num_classes() = 1 + the largest label.
// Opening reads the IRHeader of every sample once (a small read per record) to learn the labels.
// A record whose header cannot be read or whose label is not a non-negative integer is kept as a sample
// (label -1) and image(i) throws FormatError for it, so embedding counts it as unreadable and training
// stops on it.
// Throws IoError when the .rec or .idx cannot be opened, FormatError naming the file (and line / offset)
// for a malformed .idx, a header record whose range lists keys the .idx lacks, or an empty sample set.
// Thread-safe: image() may be called from several threads (each borrows its own file handle).
std::unique_ptr<SampleSource> open_recordio(const std::filesystem::path& rec_path);

// The .idx path MXNet pairs with `rec_path` ("train.rec" -> "train.idx").
std::filesystem::path recordio_index_path(const std::filesystem::path& rec_path);

}  // namespace fv
