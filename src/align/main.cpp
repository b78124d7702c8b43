// fv-align: detect, landmark and align faces of an image, a folder tree or a list file (see align_run.h).
#include <cstdlib>
#include <string>

#include "align/align_config.h"
#include "align/align_run.h"
#include "core/cli.h"
#include "core/error.h"
#include "core/options.h"

int main(int argc, char** argv) {
  return fv::run_main("fv-align", [&] {
    fv::AlignConfig config;
    fv::OptionSet options("fv-align",
                          "Detects faces (dlib HOG by default), finds 68 landmarks, reduces them to 5 and warps each "
                          "face onto a template (ArcFace 112x112 by default). Writes aligned images and/or a RecordIO "
                          "pair, a manifest CSV with one row per input, and a summary.");
    config.bind(options);
    if (!options.parse(argc, argv)) return 0;
    config.validate();
    // Formats the header probe does not know (TIFF...) are still bounded: OpenCV reads this variable
    // once, at its first decode, and refuses larger images (status unreadable).
    const std::string limit = std::to_string(config.max_pixels);
    setenv("OPENCV_IO_MAX_IMAGE_PIXELS", limit.c_str(), 0);
    const fv::AlignRunResult result = fv::run_align(config, options.resolved_ini(), options.hash());
    return result.interrupted ? static_cast<int>(fv::kExitInterrupted) : 0;
  });
}
