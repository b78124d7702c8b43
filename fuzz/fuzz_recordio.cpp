// Fuzz target: MXNet RecordIO .rec files read record by record (core/recordio.h: RecordReader, then
// unpack_image_record on each payload). RecordReader reads a path, so the input is written to a scratch file.
// Seeds: fuzz/corpus/fuzz_recordio (.rec files written by the project's RecordWriter, fuzz/make_corpus.sh).
#include <cstddef>
#include <cstdint>
#include <string>

#include "core/error.h"
#include "formats/recordio.h"
#include "fuzz_support.h"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const auto rec = fv::fuzz::ScratchDir::write("fuzz.rec", fv::fuzz::bytes_of(data, size));
  try {
    fv::RecordReader reader(rec);
    std::string payload;
    while (reader.next(&payload)) {
      if (reader.tell() > size) __builtin_trap();  // the reader never claims bytes the file lacks
      try {
        const fv::ImageRecord r = fv::unpack_image_record(payload, "fuzz.rec record");
        if (r.labels.size() != (r.header.flag > 0 ? r.header.flag : 0)) __builtin_trap();
      } catch (const fv::FormatError&) {
        // a short payload: the next record is still read, as fv-embed counts it unreadable and goes on
      }
    }
    // Random access as the sample source does it: the first record again.
    reader.read_at(0);
  } catch (const fv::Error&) {
  }
  return 0;
}
