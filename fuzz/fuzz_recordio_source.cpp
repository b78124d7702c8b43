// Fuzz target: a RecordIO pair opened as a sample source (dataset/recordio_source.h: the .idx, the insightface
// header record, each sample's IRHeader label). Input: the .idx text, a NUL byte, then the .rec bytes, written
// to scratch files (open_recordio reads paths). Images are not decoded: decoding is libjpeg's and libpng's.
// Seeds: fuzz/corpus/fuzz_recordio_source (pairs written by RecordWriter, fv-align's and insightface's layouts).
#include <cstddef>
#include <cstdint>

#include "core/error.h"
#include "core/logging.h"
#include "dataset/recordio_source.h"
#include "fuzz_support.h"

// Warnings about unreadable records would be one stderr line per input.
extern "C" int LLVMFuzzerInitialize(int*, char***) {
  fv::log::set_level(fv::log::Level::kError);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto [idx, rec] = fv::fuzz::split_at_nul(fv::fuzz::bytes_of(data, size));
  fv::fuzz::ScratchDir::write("fuzz.idx", idx);
  const auto rec_path = fv::fuzz::ScratchDir::write("fuzz.rec", rec);
  try {
    const auto source = fv::open_recordio(rec_path);
    for (std::size_t i = 0; i < source->size(); ++i) {
      if (source->label(i) < -1 || source->label(i) >= source->num_classes()) __builtin_trap();
      (void)source->id(i);
    }
  } catch (const fv::Error&) {
  }
  return 0;
}
